using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>A model that can run with one layer's output replaced (what Ablation-CAM needs).</summary>
public interface ILayerOutputReplacement
{
    /// <summary>
    /// Logits (M × classes, no gradients) of <paramref name="input"/> (M×3×H×W) when <paramref name="layer"/>
    /// outputs <paramref name="output"/> (M×C×h×w, the layer's own output shape) instead of its own result.
    /// </summary>
    Tensor LogitsWithLayerOutput(Tensor input, string layer, Tensor output);
}
