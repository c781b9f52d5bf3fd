using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Support;

/// <summary>
/// The resnet18 of scripts/anchor-references.py, bit for bit: torchvision's architecture with every state-dict tensor
/// drawn from a counter-based generator (splitmix64 seeded by the FNV-1a hash of the tensor's name) instead of a
/// 45 MB weights file, and its photo preprocessing (centre square crop, nearest-neighbour sampling to 224×224,
/// ImageNet normalisation), so the reference maps and ours see the same weights and the same input.
/// </summary>
internal static class SeededResNet18
{
    public const int InputSize = 224;
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    public static ModuleCamModel Create()
    {
        nn.Module<Tensor, Tensor> module = TorchVisionModels.Create("resnet18", 1000, CPU);
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            foreach ((string name, Tensor tensor) in module.state_dict())
            {
                if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                    tensor.zero_();
                else
                    tensor.copy_(torch.tensor(Values(name, tensor.shape), tensor.shape));
            }
        }
        return new ModuleCamModel("resnet18-seeded", module, PreprocessingSpec.ImageNet(InputSize), CPU);
    }

    /// <summary>The photo as the script feeds it: 1×3×224×224.</summary>
    public static Tensor Photo(string file)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(SharedResources.Image(file));
        int side = Math.Min(image.Width, image.Height);
        int top = (image.Height - side) / 2, left = (image.Width - side) / 2;
        var values = new float[3 * InputSize * InputSize];
        for (int y = 0; y < InputSize; y++)
        {
            int row = top + (2 * y + 1) * side / (2 * InputSize);
            for (int x = 0; x < InputSize; x++)
            {
                Rgb24 pixel = image[left + (2 * x + 1) * side / (2 * InputSize), row];
                byte[] rgb = [pixel.R, pixel.G, pixel.B];
                for (int c = 0; c < 3; c++)
                    values[(c * InputSize + y) * InputSize + x] = (rgb[c] / 255f - Mean[c]) / Std[c];
            }
        }
        return torch.tensor(values, [1, 3, InputSize, InputSize]);
    }

    private static float[] Values(string name, long[] shape)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        double[] u = Uniform(name, count);
        Func<double, double> scale = name switch
        {
            _ when name.EndsWith("running_mean", StringComparison.Ordinal) => v => 0.1 * v,
            _ when name.EndsWith("running_var", StringComparison.Ordinal) => v => 1.0 + 0.4 * v,
            _ when name.StartsWith("fc.", StringComparison.Ordinal) && name.EndsWith("weight", StringComparison.Ordinal) => v => v * Math.Sqrt(3.0) / Math.Sqrt(shape[1]),
            _ when name.EndsWith("bias", StringComparison.Ordinal) => v => 0.1 * v,
            _ when shape.Length == 4 => v => v * Math.Sqrt(3.0) * Math.Sqrt(2.0 / (shape[0] * shape[2] * shape[3])),
            _ => v => 1.0 + 0.2 * v,
        };
        return u.Select(v => (float)scale(v)).ToArray();
    }

    /// <summary>count numbers in [−1, 1): splitmix64 of fnv1a64(name) + (i + 1)·φ, top 53 bits.</summary>
    private static double[] Uniform(string name, long count)
    {
        unchecked
        {
            ulong seed = 0xCBF29CE484222325;
            foreach (byte b in System.Text.Encoding.UTF8.GetBytes(name))
                seed = (seed ^ b) * 0x100000001B3;
            var result = new double[count];
            for (long i = 0; i < count; i++)
            {
                ulong z = seed + (ulong)(i + 1) * 0x9E3779B97F4A7C15;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
                z ^= z >> 31;
                result[i] = (z >> 11) * Math.Pow(2, -53) * 2.0 - 1.0;
            }
            return result;
        }
    }
}
