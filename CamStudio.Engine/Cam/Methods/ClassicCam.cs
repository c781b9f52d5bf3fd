using CamStudio.Engine.Cam.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>CAM: M_c = Σ_k w[c, k] · A_k, with w the linear layer after global average pooling (no ReLU, no bias).</summary>
public sealed class ClassicCam : ICamMethod, IChannelTermsMethod
{
    public string Id => "cam";
    public string DisplayName => "CAM";
    public string Paper => "Zhou et al. 2016, Learning Deep Features for Discriminative Localization (CVPR)";
    public MethodRequirements Requirements => MethodRequirements.LinearHead;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor weights = inputs.RequireHead(DisplayName).Weight.index_select(0, inputs.ClassIndices);
        return ChannelWeighting.WeightedSum(weights, inputs.Activations).MoveToOuterDisposeScope();
    }

    /// <summary>The per-channel terms the map sums (for eigen_smooth).</summary>
    public Tensor ChannelTerms(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor weights = inputs.RequireHead(DisplayName).Weight.index_select(0, inputs.ClassIndices);
        return (weights.unsqueeze(2).unsqueeze(3) * inputs.Activations).MoveToOuterDisposeScope();
    }
}
