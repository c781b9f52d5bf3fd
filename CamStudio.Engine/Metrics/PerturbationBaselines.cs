using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>The image a deletion ends at and an insertion starts from (<see cref="PerturbationBaseline"/>).</summary>
public static class PerturbationBaselines
{
    /// <summary>σ of the blur baseline, in pixels.</summary>
    public const double BlurSigma = 5;

    /// <summary>Side of the blur baseline's kernel.</summary>
    public const int BlurKernel = 11;

    /// <summary>The baseline for <paramref name="input"/> (1×C×H×W, normalised), same shape; the caller owns it.</summary>
    public static Tensor For(Tensor input, PerturbationBaseline kind)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        Tensor result = kind switch
        {
            PerturbationBaseline.Zeros => torch.zeros_like(input),
            PerturbationBaseline.Mean => input.mean([2, 3], keepdim: true).expand_as(input).contiguous(),
            PerturbationBaseline.Blur => Blur(input),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown perturbation baseline."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Separable Gaussian blur, each channel on its own, edges reflected.</summary>
    private static Tensor Blur(Tensor input)
    {
        long channels = input.shape[1];
        int half = BlurKernel / 2;
        double[] weights = Enumerable.Range(-half, BlurKernel).Select(x => Math.Exp(-x * x / (2 * BlurSigma * BlurSigma))).ToArray();
        double sum = weights.Sum();
        Tensor kernel = torch.tensor(weights.Select(w => (float)(w / sum)).ToArray(), dtype: input.dtype, device: input.device);
        Tensor horizontal = kernel.reshape(1, 1, 1, BlurKernel).expand(channels, 1, 1, BlurKernel).contiguous();
        Tensor vertical = kernel.reshape(1, 1, BlurKernel, 1).expand(channels, 1, BlurKernel, 1).contiguous();
        bool canReflect = input.shape[2] > half && input.shape[3] > half;
        PaddingModes mode = canReflect ? PaddingModes.Reflect : PaddingModes.Replicate;
        Tensor padded = nn.functional.pad(input, [half, half, half, half], mode);
        Tensor x = nn.functional.conv2d(padded, horizontal, groups: channels);
        return nn.functional.conv2d(x, vertical, groups: channels);
    }
}
