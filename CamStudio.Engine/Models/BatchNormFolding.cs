using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// Batch normalisation folded into the convolution before it, for inference: in eval mode BN is the per-channel affine
/// map y = γ(x − μ)/√(σ² + ε) + β, so conv-then-BN is one convolution with weight W·γ/√(σ² + ε) (per output channel)
/// and bias β + (b − μ)·γ/√(σ² + ε). The folded network skips one full pass over every normalised activation.
/// </summary>
/// <remarks>
/// The folded copy is the same architecture built with <see cref="FoldedNorm"/> (an identity) wherever the model has a
/// BatchNorm2d, so every module keeps its name, and every layer but the folded convolutions computes what the model's
/// does: a BN layer's output is the folded convolution's output. Which convolution feeds which BN is traced, not guessed
/// from names: the BN whose forward receives the very tensor a convolution returned. A copy where some BN has no such
/// convolution, or whose logits differ from the model's by more than 1e-4 of the largest, is refused.
/// </remarks>
internal static class BatchNormFolding
{
    /// <summary>An identity standing where a BatchNorm2d was folded away (its name stays in the module tree).</summary>
    public sealed class FoldedNorm : nn.Module<Tensor, Tensor>
    {
        public FoldedNorm() : base(nameof(FoldedNorm))
        {
        }

        public override Tensor forward(Tensor input) => input.alias();
    }

    /// <summary>A norm-layer factory for TorchVision's constructors (<c>norm_layer:</c>) building a folded copy.</summary>
    public static nn.Module<Tensor, Tensor> Folded(int channels) => new FoldedNorm();

    /// <summary>
    /// Each BatchNorm2d of <paramref name="model"/> with the Conv2d whose output it normalises, traced on
    /// <paramref name="probe"/>; null when some BN is not fed by a convolution alone (nothing to fold it into).
    /// </summary>
    public static IReadOnlyList<(string Conv, string Norm)>? Pairs(nn.Module<Tensor, Tensor> model, Tensor probe)
    {
        var convOutputs = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        var pairs = new List<(string, string)>();
        var unpaired = new List<string>();
        var removers = new List<Action>();
        try
        {
            foreach ((string name, nn.Module module) in model.named_modules())
            {
                string moduleName = name;
                if (module is Conv2d conv)
                {
                    removers.Add(conv.register_forward_hook((_, _, output) =>
                    {
                        convOutputs[output] = moduleName;
                        return output;
                    }).remove);
                }
                else if (module is BatchNorm2d norm)
                {
                    removers.Add(norm.register_forward_hook((_, input, output) =>
                    {
                        if (convOutputs.TryGetValue(input, out string? convName) && !pairs.Any(p => p.Item1 == convName))
                            pairs.Add((convName, moduleName));
                        else
                            unpaired.Add(moduleName);
                        return output;
                    }).remove);
                }
            }
            using IDisposable noGrad = torch.no_grad();
            using DisposeScope scope = torch.NewDisposeScope();
            model.call(probe);
        }
        finally
        {
            foreach (Action remove in removers)
                remove();
        }
        return unpaired.Count == 0 ? pairs : null;
    }

    /// <summary>
    /// Fills <paramref name="folded"/> (the architecture with <see cref="FoldedNorm"/> at each of <paramref name="pairs"/>'
    /// norms) from <paramref name="model"/>: folded weights and biases for the paired convolutions, every other
    /// parameter and buffer copied. False when the two trees do not line up that way.
    /// </summary>
    public static bool FoldInto(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> folded, IReadOnlyList<(string Conv, string Norm)> pairs)
    {
        var source = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var target = folded.named_modules().ToDictionary(m => m.name, m => m.module);
        var norms = pairs.Select(p => p.Norm).ToHashSet();
        if (target.Where(m => m.Value is FoldedNorm).Select(m => m.Key).ToHashSet() is var foldedNames && !foldedNames.SetEquals(norms))
            return false;
        using IDisposable noGrad = torch.no_grad();
        // Everything but the norms: same names, same shapes.
        Dictionary<string, Tensor> state = model.state_dict();
        Dictionary<string, Tensor> into = folded.state_dict();
        foreach ((string name, Tensor value) in into)
        {
            if (!state.TryGetValue(name, out Tensor? from) || !from.shape.SequenceEqual(value.shape))
                return false;
            value.copy_(from);
        }
        foreach ((string convName, string normName) in pairs)
        {
            if (source[convName] is not Conv2d conv || source[normName] is not BatchNorm2d norm || target[convName] is not Conv2d foldedConv
                || norm.running_mean is null || norm.running_var is null)
                return false;
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor scale = (norm.running_var + norm.eps).rsqrt();
            if (norm.weight is { } gamma)
                scale = scale * gamma;
            Tensor shift = (conv.bias is { } b ? b : torch.zeros_like(norm.running_mean)) - norm.running_mean;
            Tensor bias = shift * scale;
            if (norm.bias is { } beta)
                bias = bias + beta;
            foldedConv.weight!.copy_(conv.weight! * scale.reshape(-1, 1, 1, 1));
            foldedConv.bias = new Parameter(bias.contiguous().DetachFromDisposeScope(), requires_grad: false);
        }
        return true;
    }
}
