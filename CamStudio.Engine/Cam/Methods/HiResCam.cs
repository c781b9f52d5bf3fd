using CamStudio.Engine.Cam.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>HiResCAM: ReLU(Σ_k ∂y_c/∂A_k ⊙ A_k), element-wise instead of averaging the gradients.</summary>
public sealed class HiResCam : ICamMethod, IChannelTermsMethod
{
    public string Id => "hirescam";
    public string DisplayName => "HiResCAM";
    public string Paper => "Draelos & Carin 2020, Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional neural networks (arXiv:2011.08891)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor g = inputs.RequireGradients(DisplayName);
        return (g * inputs.Activations).sum(1).relu().MoveToOuterDisposeScope();
    }

    /// <summary>The per-channel terms the map sums (for eigen_smooth).</summary>
    public Tensor ChannelTerms(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        return (inputs.RequireGradients(DisplayName) * inputs.Activations).MoveToOuterDisposeScope();
    }
}
