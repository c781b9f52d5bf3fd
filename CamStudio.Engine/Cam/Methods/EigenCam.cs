using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Eigen-CAM: the (hw × C) activations, mean-centred per channel as pytorch-grad-cam does, projected on their
/// first right singular vector (= σ₁·u₁). Class-agnostic. The singular vector's sign is arbitrary, so it is
/// chosen to make the map correlate positively with the channel-summed activation.
/// </summary>
/// <remarks>
/// No full SVD: σ₁u₁ comes from the top eigenvector of the smaller Gram matrix, XXᵀ (hw × hw) when hw ≤ C,
/// otherwise v₁ from XᵀX (C × C) and the projection X·v₁. Computed in float64 (the Gram squares the conditioning).
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
        Tensor a = inputs.Activations;
        long n = a.shape[0], channels = a.shape[1], height = a.shape[2], width = a.shape[3];
        long positions = height * width;

        Tensor x = a.flatten(2).transpose(1, 2).to(ScalarType.Float64);   // N × hw × C
        x = x - x.mean([1], keepdim: true);
        Tensor projection;
        if (positions <= channels)
        {
            (Tensor values, Tensor vectors) = torch.linalg.eigh(torch.bmm(x, x.transpose(1, 2)));
            Tensor sigma = values[.., -1].clamp_min(0).sqrt();             // eigenvalues ascend: last is the largest
            projection = vectors[.., .., -1] * sigma.unsqueeze(1);         // N × hw
        }
        else
        {
            (_, Tensor vectors) = torch.linalg.eigh(torch.bmm(x.transpose(1, 2), x));
            projection = torch.bmm(x, vectors[.., .., -1].unsqueeze(2)).squeeze(2);
        }

        Tensor channelSum = a.sum(1).flatten(1).to(ScalarType.Float64);
        Tensor agreement = (projection * channelSum).sum(1, keepdim: true);
        projection = torch.where(agreement < 0, -projection, projection);
        return projection.to(a.dtype).reshape(n, height, width).MoveToOuterDisposeScope();
    }
}
