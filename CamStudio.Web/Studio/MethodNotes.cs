namespace CamStudio.Web.Studio;

/// <summary>
/// What the studio says about methods beside its pickers: a one-line description per method (presentation wording;
/// the equation and paper live with each method in the engine) and why two methods show the same map.
/// </summary>
internal static class MethodNotes
{
    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        ["cam"] = "Weights the layer's channels by the linear head's weights for the class (needs global average pooling + linear).",
        ["gradcam"] = "Weights each channel by its average gradient of the class score.",
        ["gradcam++"] = "Like Grad-CAM, with weights from higher-order gradient terms: better with several objects of a class.",
        ["xgradcam"] = "Grad-CAM with activation-normalised gradient weights (axiom-based).",
        ["hirescam"] = "Multiplies gradients and activations element by element before summing: no averaging of gradients.",
        ["layercam"] = "Weights every position by its positive gradient: finer maps, also from earlier layers.",
        ["eigencam"] = "The first principal component of the layer's activations: gradient-free and the same for every class.",
        ["scorecam"] = "Masks the photo with each channel and weights the channel by the class score it keeps: gradient-free, slow.",
        ["ablationcam"] = "Removes each channel in turn and weights it by the score it costs: gradient-free, slow.",
    };

    /// <summary>The methods equal to CAM up to scale when the layer feeds a global-average-pool + linear head.</summary>
    public static readonly IReadOnlySet<string> EqualToCamOnGapLinear = new HashSet<string>(["gradcam", "xgradcam", "hirescam"]);

    public static string Description(CamMethodInfo method) => Descriptions.GetValueOrDefault(method.Id, "");

    /// <summary>The hover text: description, then the paper.</summary>
    public static string Hover(CamMethodInfo method) =>
        string.Join(" ", new[] { Description(method), method.Paper.Length > 0 ? $"Paper: {method.Paper}." : "" }.Where(t => t.Length > 0));

    /// <summary>
    /// Why the map looks like another method's, or null. With a global-average-pool + linear head right after the
    /// layer (CAM applies there), Grad-CAM's weights are the head's weights divided by the map's size, and XGrad-CAM's
    /// and HiResCAM's come to the same: all three equal CAM up to a scale.
    /// </summary>
    public static string? Equality(string methodId, bool camApplies) =>
        camApplies && EqualToCamOnGapLinear.Contains(methodId)
            ? "At this layer the model ends in global average pooling + a linear layer, so Grad-CAM, XGrad-CAM and HiResCAM give CAM's map up to a scale: the same picture, not a bug."
            : null;

    public static string? ClassAgnostic(CamMethodInfo? method) =>
        method is { IsClassSpecific: false } ? $"{method.DisplayName} ignores the class: its map is the same for every class." : null;
}
