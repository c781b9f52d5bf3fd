using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Eigen-CAM: ReLU of the activations' projection on their first principal component (hw × C, centred per channel),
/// as pytorch-grad-cam computes it (its base applies the ReLU before normalising). Class-agnostic.
/// </summary>
/// <remarks>
/// Two things differ from a bare SVD and both are deliberate: the ReLU (pytorch-grad-cam's, so maps agree with it; before
/// it our map min-maxed the signed projection, Pearson ≈ 0.9 against theirs on real photos), and the sign correction
/// (ours, which pytorch-grad-cam lacks): the component's sign is arbitrary, so it is chosen to make the projection
/// correlate positively with the channel-summed activation (<see cref="PrincipalProjection"/>).
/// </remarks>
public sealed class EigenCam : ICamMethod
{
    public string Id => "eigencam";
    public string DisplayName => "Eigen-CAM";
    public string Paper => "Muhammad & Yeasin 2020, Eigen-CAM: Class Activation Map using Principal Components (IJCNN)";
    public MethodRequirements Requirements => MethodRequirements.None;
    public bool IsClassSpecific => false;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        return PrincipalProjection.FirstComponent(inputs.Activations).relu().MoveToOuterDisposeScope();
    }
}
