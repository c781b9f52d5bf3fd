using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// EigenGrad-CAM: ReLU of the first principal component of ∂y_c/∂A ⊙ A (hw × C, centred per channel): Eigen-CAM made
/// class-specific by the gradient, as pytorch-grad-cam's <c>EigenGradCAM</c> (ReLU before normalising, as its base does).
/// </summary>
/// <remarks>
/// Our sign correction, which pytorch-grad-cam lacks: the component's sign is arbitrary, so it is chosen to correlate
/// positively with Σ_k g_k ⊙ A_k (the HiResCAM map before its ReLU), see <see cref="PrincipalProjection"/>.
/// </remarks>
public sealed class EigenGradCam : ICamMethod
{
    public string Id => "eigengradcam";
    public string DisplayName => "EigenGrad-CAM";
    public string Paper => "Muhammad & Yeasin 2020, Eigen-CAM (IJCNN), on gradient ⊙ activation as in jacobgil/pytorch-grad-cam (2021)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor weighted = inputs.RequireGradients(DisplayName) * inputs.Activations;
        return PrincipalProjection.FirstComponent(weighted).relu().MoveToOuterDisposeScope();
    }
}
