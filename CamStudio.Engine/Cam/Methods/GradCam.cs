using CamStudio.Engine.Cam.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>Grad-CAM: ReLU(Σ_k α_k · A_k) with α_k = mean_ij ∂y_c/∂A_kij.</summary>
public sealed class GradCam : ICamMethod, IChannelTermsMethod
{
    public string Id => "gradcam";
    public string DisplayName => "Grad-CAM";
    public string Paper => "Selvaraju et al. 2017, Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization (ICCV)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor weights = inputs.RequireGradients(DisplayName).mean([2, 3]);
        return ChannelWeighting.WeightedSum(weights, inputs.Activations).relu().MoveToOuterDisposeScope();
    }

    /// <summary>The per-channel terms the map sums (for eigen_smooth).</summary>
    public Tensor ChannelTerms(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor weights = inputs.RequireGradients(DisplayName).mean([2, 3]);
        return (weights.unsqueeze(2).unsqueeze(3) * inputs.Activations).MoveToOuterDisposeScope();
    }
}
