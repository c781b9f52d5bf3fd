using CamStudio.Engine;
using CamStudio.Engine.Models;
using Microsoft.AspNetCore.Components;

namespace CamStudio.Web.Models;

/// <summary>
/// <c>/models</c>: the models folder as the engine lists it, with add (an ONNX graph and its labels, or a torchvision
/// architecture and a weights file, with the model's preprocessing), remove (after asking) and choose the default.
/// Every caller that reaches a page is the host or has the access code (the access middleware refuses the rest).
/// </summary>
public sealed partial class ModelsPage : IDisposable
{
    private IReadOnlyList<EngineModelSummary> _models = [];
    private IReadOnlyList<string> _architectures = [];
    private string _directory = "";
    private string? _message, _error, _errorField, _removing;
    private bool _busy, _interactive;
    private readonly CancellationTokenSource _lifetime = new();

    [Inject] private CamEngine Engine { get; set; } = default!;

    [Inject] private ModelUploads Uploads { get; set; } = default!;

    [Inject] private CamStudio.Engine.Models.Catalog.ModelCatalog Catalog { get; set; } = default!;

    protected override void OnInitialized()
    {
        _architectures = TorchVisionModels.Names;
        _directory = Catalog.Folder.Describe();
        Reload();
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    private bool IsDefault(EngineModelSummary model) => string.Equals(model.Name, Engine.DefaultModel, StringComparison.OrdinalIgnoreCase);

    private void Reload() => _models = Engine.ListModels();

    private async Task AddAsync(ModelUpload upload)
    {
        (_busy, _error, _errorField, _message) = (true, null, null, null);
        try
        {
            EngineModelSummary added = await Uploads.AddAsync(upload, _lifetime.Token);
            _message = $"Added '{added.Name}' ({added.Description}).";
        }
        catch (ModelUploadException ex)
        {
            (_error, _errorField) = (ex.Message, ex.Field);
        }
        catch (CamRequestException ex)
        {
            (_error, _errorField) = (ex.Message, "file");
        }
        catch (OperationCanceledException)
        {
            return; // the page is gone
        }
        finally
        {
            _busy = false;
            Reload();
        }
    }

    private void SetDefault(string name)
    {
        (_error, _errorField, _message) = (null, null, null);
        try
        {
            Engine.SetDefaultModel(name);
            _message = $"'{name}' is now the default model.";
        }
        catch (CamRequestException ex)
        {
            (_error, _errorField) = (ex.Message, null);
        }
        Reload();
    }

    private async Task RemoveAsync()
    {
        if (_removing is not { } name)
            return;
        (_busy, _removing, _error, _errorField, _message) = (true, null, null, null, null);
        try
        {
            // Off the renderer's thread: deleting a large model folder takes a moment.
            bool removed = await Task.Run(() => Engine.RemoveCatalogModel(name));
            _message = removed ? $"Removed '{name}'." : $"There is no model '{name}' any more.";
        }
        catch (CamRequestException ex)
        {
            (_error, _errorField) = (ex.Message, null);
        }
        finally
        {
            _busy = false;
            Reload();
        }
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }
}
