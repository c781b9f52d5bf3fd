using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using MudBlazor;
using CamStudio.Engine.Maps;

namespace CamStudio.Web.Studio;

/// <summary>
/// What the studio's panels share: the current photo, model, method, layer, class and colouring, what the engine said
/// about them, and where a failure is shown (beside the control the engine names, else above the views).
/// </summary>
public sealed class StudioState(IReadOnlyList<CamMethodInfo> methods, ILogger logger, ISnackbar snackbar)
{
    public IReadOnlyList<CamMethodInfo> Methods { get; } = methods;

    public StudioPhoto? Photo { get; set; }

    public string Model { get; set; } = "";

    public string Method { get; set; } = "";

    /// <summary>Method options the user set, scoped by method ("sscam.samples" = "20"); the engine checks them.</summary>
    public Dictionary<string, string> MethodOptions { get; } = new(StringComparer.OrdinalIgnoreCase);

    public string Layer { get; set; } = Home.AutoLayer;

    /// <summary>Several layers, smoothing, guided backpropagation: what the user turned on (<see cref="FeaturesFor"/> makes a request's).</summary>
    public StudioFeatures Features { get; set; } = StudioFeatures.None;

    /// <summary>How many concepts the Concepts tab factorises the photo into (K).</summary>
    public int ConceptCount { get; set; } = DefaultConceptCount;

    public const int DefaultConceptCount = 5;

    public Home.ClassOption? ClassOption { get; set; }

    public IReadOnlyList<Prediction> Predictions { get; set; } = [];

    public EngineModelDetails? Details { get; set; }

    public IReadOnlyList<MethodAvailability> Availability { get; set; } = [];

    public double Opacity { get; set; } = 0.5;

    public string Colormap { get; set; } = "";

    /// <summary>0 = explore, 1 = side by side, 2 = concepts.</summary>
    public int Tab { get; set; }

    public string? Error { get; set; }

    public Dictionary<string, string> FieldErrors { get; } = [];

    public Dictionary<string, string> ColorBarUrls { get; } = [];

    /// <summary>The same colour bars as PNG bytes (the presenter serves them to followers).</summary>
    public Dictionary<string, byte[]> ColorBarPngs { get; } = [];

    public string? ColorBarUrl => ColorBarUrls.GetValueOrDefault(Colormap);

    public OverlayStyle Style(ValueRange? range) => new(Colormap, (float)Opacity, range);

    /// <summary>The error beside a control (model, method, layer or class picker), or null.</summary>
    public string? FieldError(string field) => FieldErrors.GetValueOrDefault(field);

    public string MethodName(string id) => Methods.FirstOrDefault(m => m.Id == id)?.DisplayName ?? id;

    public string LabelOf(int classIndex) =>
        Details is { } d && classIndex >= 0 && classIndex < d.Labels.Count ? d.Labels[classIndex]
        : Predictions.FirstOrDefault(p => p.ClassIndex == classIndex)?.ClassName ?? $"class {classIndex}";

    /// <summary>Why a method does not apply to the model at the chosen layer (the engine's reason), or null when it does or is not known yet.</summary>
    public string? WhyNot(string methodId) => Availability.FirstOrDefault(m => m.Id == methodId) is { IsAvailable: false } m ? m.Reason ?? "Not applicable here." : null;

    /// <summary>The layer a request of <see cref="Layer"/> explains ("auto" resolved by the model's details), or null before they load.</summary>
    public string? ResolvedLayer => Layer != Home.AutoLayer ? Layer
        : Details is { } d ? (d.DefaultLayer == Home.AutoLayer ? d.AutoLayer : d.DefaultLayer) : null;

    /// <summary>Whether eigen_smooth applies to a method (the engine's <see cref="MethodAvailability.TakesEigenSmooth"/>).</summary>
    public bool TakesEigenSmooth(string methodId) => Availability.FirstOrDefault(m => m.Id == methodId)?.TakesEigenSmooth == true;

    /// <summary>
    /// <see cref="Features"/> for a request of <paramref name="methods"/>: fused layers only when two or more differ,
    /// eigen_smooth for the methods that take it, guided only where the model allows it and <paramref name="guided"/>.
    /// </summary>
    public FeatureRequest FeaturesFor(IReadOnlyList<string> methods, bool guided = true)
    {
        StudioFeatures f = Features;
        List<string> layers = f.FusedLayers.Count > 0 && ResolvedLayer is { } layer ? f.FusedLayers.Prepend(layer).Distinct().ToList() : [];
        return new FeatureRequest(layers.Count > 1 ? layers : [], f.Fuse, f.AugSmooth,
            f.EigenSmooth ? methods.Where(TakesEigenSmooth).ToHashSet() : new HashSet<string>(),
            guided && f.Guided && Details is { WhyNoGuided: null });
    }

    public void ShowError(string what, Exception ex)
    {
        if (ex is CamRequestException refused)
        {
            // The engine names the request's field at fault: its message goes beside that control.
            logger.LogInformation("{What}: {Kind} on {Field}: {Message}", what, refused.Kind, refused.Field, refused.Message);
            switch (refused.Field)
            {
                case CamRequestFields.Model or CamRequestFields.Methods or CamRequestFields.Layer or CamRequestFields.Classes
                    or CamRequestFields.Layers or CamRequestFields.Fuse or CamRequestFields.EigenSmooth or CamRequestFields.Guided:
                    FieldErrors[refused.Field] = refused.Message;
                    return;
                default:
                    Error = $"{what}: {refused.Message}";
                    break;
            }
        }
        else if (ex is StudioInputException or PhotoDecodeException)
        {
            logger.LogInformation("{What}: {Message}", what, ex.Message);
            Error = $"{what}: {ex.Message}";
        }
        else
        {
            // An engine failure stays in the page (and the log); the circuit lives on.
            logger.LogError(ex, "{What}", what);
            Error = $"{what}: {ex.Message}";
        }
        snackbar.Add(Error, Severity.Error);
    }

    /// <summary>Which methods apply to the model at the chosen layer (the pickers disable the others, with the reason).</summary>
    public async Task LoadMethodsAsync(IStudioEngine engine, CancellationToken cancellationToken)
    {
        try
        {
            Availability = await engine.MethodsForAsync(Model, Layer, cancellationToken);
            FieldErrors.Remove(CamRequestFields.Layer);
        }
        catch (CamRequestException ex)
        {
            Availability = [];
            ShowError("The methods could not be listed", ex);
        }
    }

    /// <summary>The model's labels and layers, then its methods; a failure is shown, not thrown.</summary>
    public async Task LoadModelAsync(IStudioEngine engine, CancellationToken cancellationToken)
    {
        try
        {
            Details = await engine.GetModelAsync(Model, cancellationToken);
            FieldErrors.Remove(CamRequestFields.Model);
            await LoadMethodsAsync(engine, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ShowError($"Model {Model} could not be loaded", ex);
        }
    }

    /// <summary>A successful explanation clears the errors of the request it answered.</summary>
    public void ClearErrors()
    {
        Error = null;
        FieldErrors.Clear();
    }
}
