using CamStudio.Engine.Maps;
namespace CamStudio.Engine.Cam;

/// <summary>One class of the model's prediction for a photo.</summary>
public sealed record Prediction(int ClassIndex, string ClassName, float Probability);

/// <summary>The map one method produced for one class of one photo.</summary>
public sealed record ClassMap(string Method, int ClassIndex, string ClassName, string Layer, CamMap Map)
{
    /// <summary>How the map was made beyond its method (fused layers, smoothing); <see cref="Features.MapMaking.Plain"/> for most.</summary>
    public Features.MapMaking Making { get; init; } = Features.MapMaking.Plain;
}

/// <summary>Everything computed for one photo: its top predictions and the requested maps.</summary>
public sealed record PhotoExplanation(IReadOnlyList<Prediction> TopPredictions, IReadOnlyList<ClassMap> Maps)
{
    /// <summary>Guided backpropagation images, one per explained class in rank order, when requested.</summary>
    public IReadOnlyList<GuidedGradient> Guided { get; init; } = [];
}

/// <summary>Which classes to explain for each photo.</summary>
public abstract record ClassSelection
{
    private ClassSelection() { }

    /// <summary>The photo's own K most probable classes (top1 = K 1, top3 = K 3).</summary>
    public sealed record TopK(int K) : ClassSelection;

    /// <summary>The same fixed class indices for every photo.</summary>
    public sealed record Indices(IReadOnlyList<int> Classes) : ClassSelection;

    public static ClassSelection Top1 { get; } = new TopK(1);
}

/// <summary>What to explain: methods (ids such as "gradcam"), classes, and the layer ("auto" or a layer name).</summary>
public sealed record ExplainRequest(IReadOnlyList<string> Methods, ClassSelection Classes, string Layer = "auto")
{
    public static ExplainRequest Default { get; } = new(["gradcam"], ClassSelection.Top1);
}
