namespace CamStudio.Engine.Cam.Features;

/// <summary>
/// The request-wide ways of making maps, resolved by the engine's plan: the layers (one, or several fused), and
/// smoothing and guided backpropagation on or off. <see cref="Plain"/> for a request that asks for none of them.
/// </summary>
/// <param name="Layers">The explained layers (resolved names), the plan's layer first; more than one are fused.</param>
/// <param name="Fusion">How several layers are fused (ignored for one).</param>
/// <param name="AugSmooth">aug_smooth: <see cref="AugmentationSmoothing"/>.</param>
/// <param name="EigenSmooth">eigen_smooth: <see cref="EigenSmoothing"/> for methods with channel terms.</param>
/// <param name="Guided">Guided backpropagation images (<see cref="GuidedBackprop"/>) for every explained class.</param>
public sealed record ExplainFeatures(IReadOnlyList<string> Layers, LayerFusion Fusion, bool AugSmooth, bool EigenSmooth, bool Guided)
{
    /// <summary>Nothing beyond the methods at <paramref name="layer"/>.</summary>
    public static ExplainFeatures Plain(string layer) => new([layer], LayerFusion.Mean, false, false, false);

    /// <summary>True when several layers are fused.</summary>
    public bool IsFused => Layers.Count > 1;

    /// <summary>
    /// Forward passes (each with its backward per class rank) one photo costs, as a multiple of a plain explanation:
    /// one per layer, times six with aug_smooth; guided backpropagation adds one forward and one full backward per rank.
    /// </summary>
    public int PassesPerPhoto => Layers.Count * (AugSmooth ? AugmentationSmoothing.Transforms.Count : 1) + (Guided ? 1 : 0);
}
