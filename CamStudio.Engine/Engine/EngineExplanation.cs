using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Maps;

namespace CamStudio.Engine;

/// <summary>What <see cref="CamEngine.ExplainAsync(ExplainPlan, IReadOnlyList{SixLabors.ImageSharp.Image{SixLabors.ImageSharp.PixelFormats.Rgb24}}, IProgress{ExplainProgress}?, CancellationToken)"/> returns: one explanation per photo, in order, and timings.</summary>
/// <param name="ModelName">The model that explained the photos.</param>
/// <param name="Layer">The explained layer's name.</param>
/// <param name="Photos">One per photo, in the order given.</param>
/// <param name="Timings">Where the time went.</param>
public sealed record EngineExplanation(string ModelName, string Layer, IReadOnlyList<PhotoMaps> Photos, ExplainTimings Timings);

/// <summary>One photo's top predictions and its maps (class rank first, then methods in plan order).</summary>
/// <param name="TopPredictions">The most probable classes, best first (up to <see cref="CamExplainer.TopPredictionCount"/>).</param>
/// <param name="Maps">The maps, placed on the photo.</param>
/// <param name="Placement">The region of this photo the model saw (the same for all its maps).</param>
public sealed record PhotoMaps(IReadOnlyList<Prediction> TopPredictions, IReadOnlyList<PlacedClassMap> Maps, MapPlacement Placement)
{
    /// <summary>Guided backpropagation images, one per explained class in rank order, when the request asked (<see cref="CamRequest.Guided"/>).</summary>
    public IReadOnlyList<GuidedGradient> Guided { get; init; } = [];
}

/// <summary>The map one method produced for one class of one photo, with its placement.</summary>
/// <param name="Method">The method's id.</param>
/// <param name="ClassIndex">The explained class.</param>
/// <param name="ClassName">Its label.</param>
/// <param name="Layer">The explained layer.</param>
/// <param name="Map">The map and where it belongs.</param>
public sealed record PlacedClassMap(string Method, int ClassIndex, string ClassName, string Layer, PlacedMap Map)
{
    /// <summary>How the map was made beyond its method: fused layers and how, smoothing (<see cref="MapMaking.Describe"/> says it in words).</summary>
    public MapMaking Making { get; init; } = MapMaking.Plain;
}

/// <summary>Milliseconds spent per stage of one explanation.</summary>
/// <param name="PlanMs">Planning (model load, checks), when the request was planned in the same call; else 0.</param>
/// <param name="ForwardMs">The model's forward pass.</param>
/// <param name="MethodsMs">Gradients, methods and extra forward passes.</param>
/// <param name="TotalMs">From the call to the result (queue waits included).</param>
public sealed record ExplainTimings(double PlanMs, double ForwardMs, double MethodsMs, double TotalMs);

/// <summary>Whether a method can explain a model at a layer, and why not.</summary>
/// <param name="Id">The method's id.</param>
/// <param name="DisplayName">Its name for people.</param>
/// <param name="Paper">Its paper.</param>
/// <param name="Requirements">What it needs.</param>
/// <param name="IsAvailable">True when it applies.</param>
/// <param name="Reason">Why not (and what to do), when it does not apply.</param>
public sealed record MethodAvailability(string Id, string DisplayName, string Paper, MethodRequirements Requirements, bool IsAvailable, string? Reason)
{
    /// <summary>The numbers the method takes (<see cref="ICamMethod.Options"/>), for a front end to offer as fields.</summary>
    public IReadOnlyList<MethodOption> Options { get; init; } = [];

    /// <summary>eigen_smooth applies (<see cref="CamRequest.EigenSmooth"/>): the method sums per-channel terms the engine can project instead.</summary>
    public bool TakesEigenSmooth { get; init; }

    /// <summary>Runs extra forward passes: slow, reports progress.</summary>
    public bool IsSlow => Requirements.HasFlag(MethodRequirements.ExtraForwards);
}

/// <summary>A model the engine can explain with, as listed (nothing loaded).</summary>
/// <param name="Name">The name to put in a request.</param>
/// <param name="Description">Architecture or format and class count, for people.</param>
/// <param name="IsUsable">False for a broken catalog entry.</param>
/// <param name="Status">"ok" or what is broken.</param>
public sealed record EngineModelSummary(string Name, string Description, bool IsUsable, string Status);

/// <summary>A loaded model's details for front ends (no tensors).</summary>
/// <param name="Name">The model's name.</param>
/// <param name="Labels">Class names in output order.</param>
/// <param name="Layers">Capturable layers in execution order, with their shapes for one photo.</param>
/// <param name="AutoLayer">The layer "auto" stands for.</param>
/// <param name="DefaultLayer">The layer a request without one uses (the manifest's, else <see cref="AutoLayer"/>).</param>
/// <param name="Preprocessing">How photos become its input.</param>
/// <param name="Capabilities">What it can do for methods.</param>
/// <param name="Sha256">SHA-256 of its file (catalog models), else null.</param>
public sealed record EngineModelDetails(string Name, IReadOnlyList<string> Labels, IReadOnlyList<Models.LayerInfo> Layers, string AutoLayer,
    string DefaultLayer, Imaging.PreprocessingSpec Preprocessing, Models.ModelCapabilities Capabilities, string? Sha256)
{
    /// <summary>Why <see cref="AutoLayer"/> is the automatic choice (<see cref="Models.ICamModel.AutoLayerRule"/>), for captions.</summary>
    public string AutoLayerRule { get; init; } = "";

    /// <summary>Why guided backpropagation (<see cref="CamRequest.Guided"/>) cannot run on this model, or null when it can.</summary>
    public string? WhyNoGuided { get; init; }
}
