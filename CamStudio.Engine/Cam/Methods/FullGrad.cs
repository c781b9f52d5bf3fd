using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// FullGrad: Σ ψ(|x ⊙ ∂y_c/∂x|) + Σ_layers Σ_channels ψ(|b ⊙ ∂y_c/∂z|), z each biased layer's output and b its bias
/// (batch norm's β − μγ/√(σ²+ε)), ψ min-max scaling of each channel then bilinear resizing to the input: the input
/// gradient plus the bias gradients of every conv and batch-norm layer, as pytorch-grad-cam's <c>FullGrad</c>. The map is
/// at the input's resolution and ignores the chosen layer; its backward runs on to the input (one per class, shared
/// with the other gradient methods).
/// </summary>
public sealed class FullGrad : ICamMethod
{
    private const double Epsilon = 1e-7;

    public string Id => "fullgrad";
    public string DisplayName => "FullGrad";
    public string Paper => "Srinivas & Fleuret 2019, Full-Gradient Representation for Neural Network Visualization (NeurIPS)";
    public MethodRequirements Requirements => MethodRequirements.Gradients | MethodRequirements.BiasGradients;
    public bool IsClassSpecific => true;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        FullGradients full = inputs.RequireFullGradients(DisplayName);
        long height = full.Input.shape[2], width = full.Input.shape[3];
        Tensor map = ScaledChannelSum((full.Input * full.InputGradient).abs());
        foreach (BiasGradient layer in full.Layers)
        {
            Tensor summed = ScaledChannelSum((layer.Bias.reshape(1, -1, 1, 1) * layer.Gradient).abs());
            map = map + nn.functional.interpolate(summed.unsqueeze(1), [height, width], mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
        }
        return map.MoveToOuterDisposeScope();
    }

    /// <summary>Each channel of N×C×h×w min-max scaled to [0, 1], then summed over channels (resizing is linear, so it can follow the sum).</summary>
    private static Tensor ScaledChannelSum(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        Tensor shifted = x - x.amin([2, 3], keepdim: true);
        return (shifted / (shifted.amax([2, 3], keepdim: true) + Epsilon)).sum(1).MoveToOuterDisposeScope();
    }
}
