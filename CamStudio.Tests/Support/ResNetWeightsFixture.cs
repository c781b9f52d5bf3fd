using CamStudio.Engine.Models;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cli;

/// <summary>
/// A resnet18 with seeded random weights and 5 classes, saved once per test class as a PyTorch state dict
/// (the format <c>torch.save(model.state_dict())</c> writes), plus a 5-name labels file.
/// </summary>
public sealed class ResNetWeightsFixture : IDisposable
{
    public const int ClassCount = 5;

    /// <summary>"tabby" is a synonym of two classes (ambiguous); "tiger cat" only of one.</summary>
    public static readonly string[] ClassNames = ["tabby, tabby cat", "golden retriever", "Tiger Cat", "espresso", "tabby, striped dog"];

    private readonly TempFolder _folder;

    public ResNetWeightsFixture() : this(new TempFolder("camstudio-resnet-"))
    {
    }

    /// <summary>Writes the files into <paramref name="folder"/>, which the fixture then owns.</summary>
    internal ResNetWeightsFixture(TempFolder folder)
    {
        _folder = folder;
        torch.manual_seed(20241126);
        using var model = TorchVisionModels.Create("resnet18", ClassCount, CPU);
        using (no_grad())
        {
            // Non-trivial batch-norm statistics so eval-mode outputs depend on every buffer.
            foreach (var (name, buffer) in model.named_buffers())
            {
                if (name.EndsWith("running_mean"))
                    buffer.copy_(torch.randn(buffer.shape) * 0.1);
                else if (name.EndsWith("running_var"))
                    buffer.copy_(torch.rand(buffer.shape) + 0.5);
            }
        }
        WeightsPath = _folder.Combine("resnet18-pets.pt");
        model.save_py(WeightsPath);
        LabelsPath = _folder.WriteText("pets.txt", string.Join("\n", ClassNames) + "\n");
    }

    public string WeightsPath { get; }

    public string LabelsPath { get; }

    public void Dispose() => _folder.Dispose();
}
