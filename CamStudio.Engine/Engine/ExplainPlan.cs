using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;

namespace CamStudio.Engine;

/// <summary>
/// A request checked and resolved once (<see cref="CamEngine.PlanAsync"/>): the model, a 4-D layer, the methods as
/// objects (each applicable there), the classes. Run it with <see cref="CamEngine.ExplainAsync(ExplainPlan, IReadOnlyList{SixLabors.ImageSharp.Image{SixLabors.ImageSharp.PixelFormats.Rgb24}}, IProgress{ExplainProgress}?, CancellationToken)"/>
/// on any number of photos.
/// </summary>
public sealed partial class ExplainPlan
{
    internal ExplainPlan(string modelName, string? modelSha256, ICamModel model, LayerInfo layer, IReadOnlyList<ICamMethod> methods,
        ClassSelection classes, WorkPriority priority, string owner, TimeSpan planTime)
    {
        ModelName = modelName;
        ModelSha256 = modelSha256;
        Model = model;
        Layer = layer;
        Methods = methods;
        Classes = classes;
        Priority = priority;
        Owner = owner;
        PlanTime = planTime;
        ExtraForwardsPerPhoto = methods.Sum(m => m.NeedsExtraForwards ? m.ExtraForwardsPerPhoto(layer.Channels) : 0);
    }

    /// <summary>The model's name as the engine knows it.</summary>
    public string ModelName { get; }

    /// <summary>SHA-256 of the model's file (catalog models), else null.</summary>
    public string? ModelSha256 { get; }

    /// <summary>The explained layer (N×C×H×W, or a token grid methods see as one: <see cref="LayerInfo.MapShape"/>).</summary>
    public LayerInfo Layer { get; }

    /// <summary>The methods, in request order, each applicable to the model at <see cref="Layer"/>.</summary>
    public IReadOnlyList<ICamMethod> Methods { get; }

    /// <summary>The classes to explain for each photo.</summary>
    public ClassSelection Classes { get; }

    /// <summary>The model's class names in output order.</summary>
    public IReadOnlyList<string> Labels => Model.Labels;

    /// <summary>How photos become the model's input (size, crop).</summary>
    public PreprocessingSpec Preprocessing => Model.Preprocessing;

    /// <summary>Which queue the work waits in.</summary>
    public WorkPriority Priority { get; }

    /// <summary>Who asked (for fair scheduling).</summary>
    public string Owner { get; }

    /// <summary>Extra forward passes each photo costs (Score-CAM, Ablation-CAM); 0 for one-pass methods.</summary>
    public long ExtraForwardsPerPhoto { get; }

    /// <summary>True when the plan runs extra forward passes: long work, with progress, that yields to other sessions.</summary>
    public bool IsLong => ExtraForwardsPerPhoto > 0;

    /// <summary>How long planning took (model load included).</summary>
    public TimeSpan PlanTime { get; }

    internal ICamModel Model { get; }
}
