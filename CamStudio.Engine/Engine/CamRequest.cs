using CamStudio.Engine.Cam;
using CamStudio.Engine.Runtime;

namespace CamStudio.Engine;

/// <summary>What a front end asks the engine to explain, as the user gave it; <see cref="CamEngine.PlanAsync"/> checks and resolves it.</summary>
public sealed record CamRequest
{
    /// <summary>Model name (catalog or added to the engine); null or blank: the engine's default model.</summary>
    public string? Model { get; init; }

    /// <summary>Method ids, e.g. "gradcam" (case-insensitive; duplicates count once).</summary>
    public IReadOnlyList<string> Methods { get; init; } = [];

    /// <summary>Methods given as objects (e.g. written by the user), run after those named in <see cref="Methods"/>.</summary>
    public IReadOnlyList<ICamMethod> MethodObjects { get; init; } = [];

    /// <summary>Classes as text (<see cref="ClassSelectionParser"/>: "top1", "top3", "281;tabby"); used when <see cref="ClassSelection"/> is null. Null: top1.</summary>
    public string? Classes { get; init; }

    /// <summary>Classes already parsed; wins over <see cref="Classes"/>.</summary>
    public ClassSelection? ClassSelection { get; init; }

    /// <summary>Layer name, or "auto"; null: the model's default layer (the manifest's, else auto).</summary>
    public string? Layer { get; init; }

    /// <summary>
    /// Method options as text (<see cref="ICamMethod.Options"/>): <c>samples</c> = "35" applies to every requested
    /// method that takes <c>samples</c>, <c>sscam.samples</c> only to SS-CAM. A key no requested method takes is an error.
    /// </summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Several layers to explain at once, fused into one map per class and method by <see cref="Fuse"/>; when given,
    /// <see cref="Layer"/> is ignored. Empty: the one layer of <see cref="Layer"/>.
    /// </summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>How several <see cref="Layers"/> are fused: "mean" (default), "max", "layercam" or "refine".</summary>
    public string? Fuse { get; init; }

    /// <summary>aug_smooth: each map averaged over horizontal flip × intensity 0.9/1/1.1 (six passes, batched).</summary>
    public bool AugSmooth { get; init; }

    /// <summary>eigen_smooth: the first principal component of each method's channel terms instead of their sum.</summary>
    public bool EigenSmooth { get; init; }

    /// <summary>Also the guided backpropagation image of every explained class (<see cref="PhotoMaps.Guided"/>).</summary>
    public bool Guided { get; init; }

    /// <summary>Which queue the work waits in.</summary>
    public WorkPriority Priority { get; init; } = WorkPriority.Interactive;

    /// <summary>Who asks (a session, a job, a CLI run): quick work of other owners runs between the chunks of this owner's slow methods.</summary>
    public string Owner { get; init; } = "";
}
