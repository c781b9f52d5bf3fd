using CamStudio.Engine.Cam.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>XGrad-CAM: ReLU(Σ_k w_k · A_k) with w_k = Σ_ij (A_kij / (Σ_ij A_kij + ε)) · ∂y_c/∂A_kij, ε = 1e-7.</summary>
public sealed class XGradCam : ICamMethod, IChannelTermsMethod
{
    private const double Epsilon = 1e-7;

    public string Id => "xgradcam";
    public string DisplayName => "XGrad-CAM";
    public string Paper => "Fu et al. 2020, Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs (BMVC)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor g = inputs.RequireGradients(DisplayName);
        Tensor a = inputs.Activations;
        Tensor weights = (a / (a.sum([2, 3], keepdim: true) + Epsilon) * g).sum([2, 3]);
        return ChannelWeighting.WeightedSum(weights, a).relu().MoveToOuterDisposeScope();
    }

    /// <summary>The per-channel terms the map sums (for eigen_smooth).</summary>
    public Tensor ChannelTerms(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor g = inputs.RequireGradients(DisplayName);
        Tensor a = inputs.Activations;
        Tensor weights = (a / (a.sum([2, 3], keepdim: true) + Epsilon) * g).sum([2, 3]);
        return (weights.unsqueeze(2).unsqueeze(3) * a).MoveToOuterDisposeScope();
    }
}
