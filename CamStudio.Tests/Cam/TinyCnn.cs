using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>
/// Small seeded CNNs for closed-form tests: conv(3→4) → ReLU → conv(4→6, stride 2) → ReLU → GAP → Linear(6→5)
/// (the architecture CAM needs), or the same features with a two-layer head (which CAM cannot explain).
/// </summary>
internal static class TinyCnn
{
    public const int Channels = 6;
    public const int Classes = 5;

    public static ModuleCamModel GapLinear(int inputSize = 12, long seed = 7)
    {
        torch.manual_seed(seed);
        var network = nn.Sequential(
            ("conv1", nn.Conv2d(3, 4, 3, padding: 1)),
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(4, Channels, 3, stride: 2, padding: 1)),
            ("relu2", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(Channels, Classes)));
        return new ModuleCamModel("tiny-gap-linear", network, PreprocessingSpec.ImageNet(inputSize), torch.CPU);
    }

    public static ModuleCamModel TwoLayerHead(int inputSize = 12, long seed = 7)
    {
        torch.manual_seed(seed);
        var network = nn.Sequential(
            ("conv1", nn.Conv2d(3, 4, 3, padding: 1)),
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(4, Channels, 3, stride: 2, padding: 1)),
            ("relu2", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("hidden", nn.Linear(Channels, Channels)),
            ("relu3", nn.ReLU()),
            ("fc", nn.Linear(Channels, Classes)));
        return new ModuleCamModel("tiny-two-layer-head", network, PreprocessingSpec.ImageNet(inputSize), torch.CPU);
    }

    /// <summary>
    /// The output of relu2 computed from the modules' weights with functional calls (not through the model's
    /// hooks), as [photo][channel][position].
    /// </summary>
    public static float[][][] Features(ModuleCamModel model, Tensor batch)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var conv1 = (Conv2d)model.Module.named_modules().Single(m => m.name == "conv1").module;
        var conv2 = (Conv2d)model.Module.named_modules().Single(m => m.name == "conv2").module;
        Tensor h = nn.functional.relu(nn.functional.conv2d(batch, conv1.weight!, conv1.bias, padding: [1, 1]));
        Tensor a = nn.functional.relu(nn.functional.conv2d(h, conv2.weight!, conv2.bias, strides: [2, 2], padding: [1, 1]));
        return ToNested(a);
    }

    /// <summary>fc's weight as [class][channel] and bias as [class].</summary>
    public static (float[][] Weight, float[] Bias) Head(ModuleCamModel model)
    {
        var fc = (Linear)model.Module.named_modules().Single(m => m.name == "fc").module;
        long classes = fc.weight!.shape[0], channels = fc.weight.shape[1];
        float[] w = fc.weight.data<float>().ToArray();
        var weight = new float[classes][];
        for (int c = 0; c < classes; c++)
            weight[c] = w.AsSpan(c * (int)channels, (int)channels).ToArray();
        return (weight, fc.bias!.data<float>().ToArray());
    }

    /// <summary>An N×C×h×w tensor as [n][c][position].</summary>
    public static float[][][] ToNested(Tensor a)
    {
        using var scope = torch.NewDisposeScope();
        long n = a.shape[0], c = a.shape[1], hw = a.shape[2] * a.shape[3];
        float[] flat = a.contiguous().cpu().data<float>().ToArray();
        var result = new float[n][][];
        for (int i = 0; i < n; i++)
        {
            result[i] = new float[c][];
            for (int k = 0; k < c; k++)
                result[i][k] = flat.AsSpan((int)((i * c + k) * hw), (int)hw).ToArray();
        }
        return result;
    }

    public static Tensor RandomBatch(int photos, int size, long seed)
    {
        torch.manual_seed(seed);
        return torch.randn(photos, 3, size, size);
    }
}
