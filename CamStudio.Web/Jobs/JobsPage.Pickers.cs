using CamStudio.Engine;

namespace CamStudio.Web.Jobs;

/// <summary>The form's model and layer pickers: the engine's models, and the chosen model's layers once it is loaded.</summary>
public sealed partial class JobsPage
{
    private IReadOnlyList<EngineModelSummary> _models = [];
    private EngineModelDetails? _details;

    /// <summary>Lists the models and loads the chosen one's layers; a model that will not load says why beside its field.</summary>
    private async Task LoadModelAsync()
    {
        _models = Engine.ListModels();
        _details = null;
        try
        {
            _details = await Engine.GetModelAsync(string.IsNullOrWhiteSpace(_model) ? null : _model.Trim(), _lifetime.Token);
        }
        catch (CamRequestException ex)
        {
            (_error, _errorField) = (ex.Message, IsFormField(ex.Field) ? ex.Field : null);
        }
        catch (OperationCanceledException)
        {
            // The page is gone.
        }
    }

    private async Task OnModelChangedAsync(string model)
    {
        _model = model;
        // Another model has other layers: start again from its automatic one.
        _layer = null;
        if (_errorField is CamRequestFields.Model or CamRequestFields.Layer)
            (_error, _errorField) = (null, null);
        await LoadModelAsync();
        if (_details is not null)
            await RefreshMethodsAsync();
    }

    private async Task OnLayerChangedAsync(string layer)
    {
        _layer = layer == JobLayerPicker.AutoLayer ? null : layer;
        await RefreshMethodsAsync();
    }
}
