namespace CamStudio.Engine;

/// <summary>What was wrong with a request; each front end maps these to its own convention in one switch.</summary>
public enum CamRequestErrorKind
{
    /// <summary>No model of that name.</summary>
    UnknownModel,

    /// <summary>The model is in the folder but unusable (bad manifest, missing file).</summary>
    BrokenModel,

    /// <summary>The model's file would not load.</summary>
    ModelLoadFailed,

    /// <summary>No method with that id.</summary>
    UnknownMethod,

    /// <summary>The method cannot explain that model at that layer (the message says why).</summary>
    MethodNotApplicable,

    /// <summary>The model has no layer of that name.</summary>
    UnknownLayer,

    /// <summary>The layer exists but cannot be explained (not N×C×H×W).</summary>
    UnsupportedLayer,

    /// <summary>A class name or index the model does not have, or a top-K beyond its classes.</summary>
    UnknownClass,

    /// <summary>A value out of its range or missing (no methods, no photos, ...).</summary>
    InvalidValue,

    /// <summary>A photo that cannot be decoded.</summary>
    BadPhoto,

    /// <summary>A photo over the size limits.</summary>
    PhotoTooLarge,

    /// <summary>More work in one request than the engine takes (too many photos).</summary>
    TooMuchWork,
}

/// <summary>
/// A request the engine refuses, before any torch work on photos: <see cref="Kind"/> says what kind of problem,
/// <see cref="Field"/> which part of the request ("model", "methods", "classes", "layer", "image"), and the message
/// says what to do, ready to show as is.
/// </summary>
public sealed class CamRequestException : Exception
{
    /// <summary>A refusal of <paramref name="field"/> for <paramref name="kind"/>, with a message saying what to do.</summary>
    public CamRequestException(CamRequestErrorKind kind, string field, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Field = field;
    }

    /// <summary>What kind of problem it is.</summary>
    public CamRequestErrorKind Kind { get; }

    /// <summary>The part of the request at fault: "model", "methods", "classes", "layer", "image" or "options".</summary>
    public string Field { get; }
}

/// <summary>The field names <see cref="CamRequestException.Field"/> uses.</summary>
public static class CamRequestFields
{
    /// <summary>The model name.</summary>
    public const string Model = "model";

    /// <summary>The method ids or objects.</summary>
    public const string Methods = "methods";

    /// <summary>The class selection.</summary>
    public const string Classes = "classes";

    /// <summary>The layer name.</summary>
    public const string Layer = "layer";

    /// <summary>The photos.</summary>
    public const string Image = "image";

    /// <summary>The method options.</summary>
    public const string Options = "options";

    /// <summary>The metric ids of an evaluation.</summary>
    public const string Metrics = "metrics";

    /// <summary>Deletion/insertion steps.</summary>
    public const string Steps = "steps";

    /// <summary>The perturbation baseline (zeros, blur, mean).</summary>
    public const string Baseline = "baseline";

    /// <summary>The object box of the pointing games.</summary>
    public const string Box = "box";

    /// <summary>The layers and other settings of a recommendation sweep.</summary>
    public const string Layers = "layers";
}
