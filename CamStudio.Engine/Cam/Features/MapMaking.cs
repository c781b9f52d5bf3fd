namespace CamStudio.Engine.Cam.Features;

/// <summary>How a map was made beyond its method's equation, for people and files to say.</summary>
/// <param name="Layers">The layers fused into it (empty: the one layer of the map).</param>
/// <param name="Fusion">How they were fused (null: one layer).</param>
/// <param name="AugSmoothed">Averaged over <see cref="AugmentationSmoothing.Transforms"/> (values in [0, 1]).</param>
/// <param name="EigenSmoothed">The first principal component of the method's channel terms instead of their sum.</param>
public sealed record MapMaking(IReadOnlyList<string> Layers, LayerFusion? Fusion, bool AugSmoothed, bool EigenSmoothed)
{
    /// <summary>One layer, no smoothing.</summary>
    public static MapMaking Plain { get; } = new([], null, false, false);

    /// <summary>True when nothing beyond the method was done.</summary>
    public bool IsPlain => Fusion is null && !AugSmoothed && !EigenSmoothed;

    /// <summary>e.g. "layercam fusion of layer3, layer4; aug-smoothed; eigen-smoothed"; "" when plain.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Fusion is { } fusion)
            parts.Add($"{LayerFusions.Name(fusion)} fusion of {string.Join(", ", Layers)}");
        if (AugSmoothed)
            parts.Add($"aug-smoothed ({AugmentationSmoothing.Transforms.Count} passes)");
        if (EigenSmoothed)
            parts.Add("eigen-smoothed");
        return string.Join("; ", parts);
    }
}
