using CamStudio.Engine.Cam.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>LayerCAM: ReLU(Σ_k ReLU(∂y_c/∂A_k) ⊙ A_k).</summary>
public sealed class LayerCam : ICamMethod, IChannelTermsMethod
{
    public string Id => "layercam";
    public string DisplayName => "LayerCAM";
    public string Paper => "Jiang et al. 2021, LayerCAM: Exploring Hierarchical Class Activation Maps for Localization (IEEE TIP)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor g = inputs.RequireGradients(DisplayName);
        return (g.relu() * inputs.Activations).sum(1).relu().MoveToOuterDisposeScope();
    }

    /// <summary>The per-channel terms the map sums (for eigen_smooth).</summary>
    public Tensor ChannelTerms(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        return (inputs.RequireGradients(DisplayName).relu() * inputs.Activations).MoveToOuterDisposeScope();
    }
}
