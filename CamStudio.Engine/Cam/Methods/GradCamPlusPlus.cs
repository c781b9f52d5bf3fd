using CamStudio.Engine.Cam.Features;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Grad-CAM++: ReLU(Σ_k w_k · A_k) with w_k = Σ_ij α_kij · ReLU(g_kij) and, using the paper's exponential
/// trick (higher derivatives as powers of g), α = g² / (2g² + Σ_ab A_kab · g³); α = 0 where g = 0.
/// As pytorch-grad-cam implements it, with ε = 1e-6 in the denominator.
/// </summary>
public sealed class GradCamPlusPlus : ICamMethod, IChannelTermsMethod
{
    private const double Epsilon = 1e-6;

    public string Id => "gradcam++";
    public string DisplayName => "Grad-CAM++";
    public string Paper => "Chattopadhyay et al. 2018, Grad-CAM++: Improved Visual Explanations for Deep Convolutional Networks (WACV)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor a = inputs.Activations;
        Tensor weights = Weights(inputs.RequireGradients(DisplayName), a);
        return ChannelWeighting.WeightedSum(weights, a).relu().MoveToOuterDisposeScope();
    }

    /// <summary>The per-channel terms w_k · A_k the map sums (for eigen_smooth).</summary>
    public Tensor ChannelTerms(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor a = inputs.Activations;
        Tensor weights = Weights(inputs.RequireGradients(DisplayName), a);
        return (weights.unsqueeze(2).unsqueeze(3) * a).MoveToOuterDisposeScope();
    }

    private static Tensor Weights(Tensor g, Tensor a)
    {
        Tensor g2 = g.square();
        Tensor g3 = g2 * g;
        Tensor activationSums = a.sum([2, 3], keepdim: true);
        Tensor alpha = g2 / (2 * g2 + activationSums * g3 + Epsilon);
        alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha));
        return (alpha * g.relu()).sum([2, 3]);
    }
}
