using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Features;

/// <summary>
/// A method whose map is ReLU(Σ_k T_k) over per-channel terms T_k (w_k·A_k, or ∂y/∂A ⊙ A): what
/// <see cref="EigenSmoothing"/> replaces by the terms' first principal component (pytorch-grad-cam's eigen_smooth).
/// </summary>
public interface IChannelTermsMethod : ICamMethod
{
    /// <summary>The N×C×h×w terms whose channel sum (then ReLU) is the map.</summary>
    Tensor ChannelTerms(CamInputs inputs);
}
