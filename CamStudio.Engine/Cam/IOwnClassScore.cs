using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>
/// A gradient method that explains its own function of the logits instead of the class logit (Finer-CAM's contrast
/// with similar classes). The explainer backpropagates it in its own partial backward and hands the method that
/// gradient as <see cref="CamInputs.Gradients"/>.
/// </summary>
public interface IOwnClassScore
{
    /// <summary>N scores, one per photo, from <paramref name="logits"/> (N × classes, in the autograd graph) and each photo's class.</summary>
    Tensor Score(Tensor logits, Tensor classIndices);
}
