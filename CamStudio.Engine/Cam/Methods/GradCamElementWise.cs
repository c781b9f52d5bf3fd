using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Grad-CAM element-wise: ReLU(Σ_k ReLU(∂y_c/∂A_k ⊙ A_k)), HiResCAM with each channel's product clipped before the
/// sum, as pytorch-grad-cam's <c>GradCAMElementWise</c>.
/// </summary>
public sealed class GradCamElementWise : ICamMethod
{
    public string Id => "gradcam-elementwise";
    public string DisplayName => "Grad-CAM element-wise";
    public string Paper => "Selvaraju et al. 2017, Grad-CAM (ICCV), element-wise as in jacobgil/pytorch-grad-cam (2022)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor g = inputs.RequireGradients(DisplayName);
        return (g * inputs.Activations).relu().sum(1).relu().MoveToOuterDisposeScope();
    }
}
