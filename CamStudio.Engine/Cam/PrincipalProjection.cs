using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>
/// The projection of an N×C×h×w tensor, read as hw samples of C features centred per channel, on its first principal
/// component (= σ₁·u₁ of the centred hw × C matrix), as pytorch-grad-cam's <c>get_2d_projection</c> computes it, with
/// one addition: the component's sign, arbitrary in any SVD, is chosen so that the projection correlates positively
/// with the channel sum of the tensor. Eigen-CAM, EigenGrad-CAM and KPCA-CAM end with a ReLU, so without this a map
/// could show exactly the part of the photo the network ignores.
/// </summary>
/// <remarks>
/// No full SVD: σ₁u₁ comes from the top eigenvector of the smaller Gram matrix, XXᵀ (hw × hw) when hw ≤ C,
/// otherwise v₁ from XᵀX (C × C) and the projection X·v₁. Computed in float64 (the Gram squares the conditioning).
/// </remarks>
internal static class PrincipalProjection
{
    /// <summary>N×h×w projections, sign-corrected, in <paramref name="features"/>' dtype.</summary>
    public static Tensor FirstComponent(Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        long n = features.shape[0], channels = features.shape[1], height = features.shape[2], width = features.shape[3];
        long positions = height * width;

        Tensor x = torch.nan_to_num(features.to(ScalarType.Float64), 0, 0, 0).flatten(2).transpose(1, 2);   // N × hw × C
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
        return CorrectSign(projection, features).to(features.dtype).reshape(n, height, width).MoveToOuterDisposeScope();
    }

    /// <summary>N×hw <paramref name="projection"/> flipped per photo where it anticorrelates with the channel sum of <paramref name="features"/>.</summary>
    public static Tensor CorrectSign(Tensor projection, Tensor features)
    {
        using var scope = torch.NewDisposeScope();
        Tensor channelSum = features.sum(1).flatten(1).to(projection.dtype);
        Tensor agreement = (projection * channelSum).sum(1, keepdim: true);
        return torch.where(agreement < 0, -projection, projection).MoveToOuterDisposeScope();
    }
}
