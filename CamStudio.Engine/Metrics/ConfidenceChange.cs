using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// Average Drop and Increase in Confidence (Chattopadhyay et al., "Grad-CAM++: Improved Visual Explanations for Deep
/// Convolutional Networks", WACV 2018), as TorchCAM's <c>ClassificationMetric</c>: the input multiplied by the map.
/// </summary>
/// <remarks>Per photo: drop = max(0, p − p_masked) / (p + 1e-7), increase = p_masked &gt; p; over a set, their means in %.</remarks>
public static class ConfidenceChange
{
    /// <summary>Drop and increase of <paramref name="map"/> (H·W in [0, 1]) for <paramref name="input"/> (1×C×H×W) at probability <paramref name="probability"/>.</summary>
    public static (double Drop, bool Increase) Compute(ProbabilityScorer scorer, Tensor input, ReadOnlySpan<float> map, long classIndex, double probability)
    {
        double masked;
        using (DisposeScope scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            Tensor m = torch.tensor(map.ToArray(), dtype: input.dtype, device: input.device).reshape(1, 1, input.shape[2], input.shape[3]);
            masked = scorer.Probabilities(input * m, classIndex)[0];
        }
        return (Math.Max(0, probability - masked) / (probability + 1e-7), masked > probability);
    }
}
