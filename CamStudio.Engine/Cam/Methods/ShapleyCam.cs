using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// ShapleyCAM: ReLU(Σ_k w_k · A_k) with w_k = mean_ij (∂y_c/∂A − ½ H·A)_kij, H = ∂²y_c/∂A²: the channel weights of
/// Grad-CAM corrected to second order, read as Shapley values of the channels. The Hessian-vector product costs one
/// more backward through the gradient's graph. Where the model is linear after the layer (GAP + linear, or ReLU
/// networks almost everywhere) H·A = 0 and the map is Grad-CAM's.
/// </summary>
public sealed class ShapleyCam : ICamMethod
{
    public string Id => "shapleycam";
    public string DisplayName => "ShapleyCAM";
    public string Paper => "Cai et al. 2025, CAMs as Shapley Value-based Explainers (arXiv:2501.06261)";
    public MethodRequirements Requirements => MethodRequirements.Gradients | MethodRequirements.HessianVectorProduct;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor g = inputs.RequireGradients(DisplayName);
        Tensor hvp = inputs.RequireHessianVectorProduct(DisplayName);
        Tensor weights = (g - 0.5 * hvp).mean([2, 3]);
        return ChannelWeighting.WeightedSum(weights, inputs.Activations).relu().MoveToOuterDisposeScope();
    }
}
