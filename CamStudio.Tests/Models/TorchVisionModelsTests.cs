using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.TorchVision;
using CamStudio.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CamStudio.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class TorchVisionModelsTests : IDisposable
{
    private static readonly PreprocessingSpec Small = PreprocessingSpec.ImageNet(64);
    private readonly string _directory = Directory.CreateTempSubdirectory("camstudio-weights-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void KnowsTheTorchVisionClassifiers()
    {
        string[] expected =
        [
            "alexnet", "googlenet", "inception_v3", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small",
            "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
            "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
            "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "densenet121", "densenet161", "densenet169", "densenet201",
        ];

        Assert.Subset(TorchVisionModels.Names.ToHashSet(), expected.ToHashSet());
        Assert.Equal(299, TorchVisionModels.Get("inception_v3").InputSize);
        Assert.Equal("resnet50", TorchVisionModels.Get("ResNet50").Name);
    }

    [Fact]
    public void UnknownArchitectureErrorListsTheValidNames()
    {
        var error = Assert.Throws<ArgumentException>(() => TorchVisionModels.Create("resnet19"));

        Assert.Contains("'resnet19'", error.Message);
        Assert.Contains("resnet18", error.Message);
        Assert.Contains("vgg16_bn", error.Message);
    }

    [Theory]
    [InlineData("pytorch.pth")]
    [InlineData("model.safetensors")]
    [InlineData("torchsharp.dat")]
    public void ResNetWeightsRoundTripGiveIdenticalLogitsAndTheirClassCount(string fileName)
    {
        string path = Path.Combine(_directory, fileName);
        using var original = (ResNet)TorchVisionModels.Create("resnet18", classCount: 10, device: torch.CPU);
        Save(original, path);
        using Tensor input = torch.randn(2, 3, 64, 64);

        using nn.Module<Tensor, Tensor> loaded = TorchVisionModels.Load("resnet18", path, device: torch.CPU);

        using (torch.no_grad())
        using (Tensor expected = original.call(input))
        using (Tensor actual = loaded.call(input))
        {
            Assert.Equal([2L, 10L], actual.shape);
            Assert.Equal(expected.data<float>().ToArray(), actual.data<float>().ToArray());
        }
    }

    [Fact]
    public void WeightsFromAnotherArchitectureNameTheFirstMismatchedParameter()
    {
        string path = Path.Combine(_directory, "resnet18.pth");
        using (nn.Module<Tensor, Tensor> resnet18 = TorchVisionModels.Create("resnet18", device: torch.CPU))
            resnet18.save_py(path);

        var error = Assert.Throws<InvalidDataException>(() => TorchVisionModels.Load("resnet50", path));

        Assert.Contains(path, error.Message);
        Assert.Contains("resnet50 with 1000 classes", error.Message);
        Assert.Contains("parameter 'layer1.0.conv1.weight' is 64×64×3×3 in the file but 64×64×1×1", error.Message);
    }

    [Fact]
    public void MissingWeightsFileIsNamed()
    {
        string path = Path.Combine(_directory, "nowhere.pth");

        var error = Assert.Throws<FileNotFoundException>(() => TorchVisionModels.Load("resnet18", path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void AFileThatIsNoWeightsFileIsNamed()
    {
        string path = Path.Combine(_directory, "notes.pth");
        File.WriteAllText(path, "these are not weights");

        var error = Assert.Throws<InvalidDataException>(() => TorchVisionModels.Load("resnet18", path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ResNetAutoLayerIsLayer4AndItsHeadIsFc()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: Small, device: torch.CPU);
        var fc = (Linear)model.Module.named_modules().Single(m => m.name == "fc").module;

        Assert.Equal("layer4", model.AutoLayer);
        Assert.Equal([1L, 512, 2, 2], model.Layers.Single(l => l.Name == "layer4").Shape);
        LinearHead? head = model.HeadAfter("layer4");
        Assert.NotNull(head);
        Assert.Same(fc.weight, head.Weight);
        Assert.Null(model.HeadAfter("layer3"));
        Assert.Equal(1000, model.Labels.Count);
    }

    [Fact]
    public void LayersAreInExecutionOrderWithContainersAfterTheirChildren()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: Small, device: torch.CPU);
        List<string> names = model.Layers.Select(l => l.Name).ToList();

        Assert.Equal("conv1", names[0]);
        Assert.Equal("fc", names[^1]);
        Assert.True(names.IndexOf("layer4.1") < names.IndexOf("layer4"));
        Assert.True(names.IndexOf("layer4") < names.IndexOf("avgpool"));
        Assert.Equal(model.Module.named_modules().Count(), names.Count);
    }

    [Fact]
    public void MobileNetV2AutoLayerIsFeaturesAndItsHeadIsClassifier1()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("mobilenet_v2", preprocessing: Small, device: torch.CPU);
        var classifier = (Linear)model.Module.named_modules().Single(m => m.name == "classifier.1").module;

        Assert.Equal("features", model.AutoLayer);
        Assert.Same(classifier.weight, model.HeadAfter("features")?.Weight);
    }

    [Fact]
    public void DenseNetAutoLayerIsFeaturesAndItsHeadIsClassifier()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("densenet121", preprocessing: Small, device: torch.CPU);
        var classifier = (Linear)model.Module.named_modules().Single(m => m.name == "classifier").module;

        Assert.Equal("features", model.AutoLayer);
        Assert.Same(classifier.weight, model.HeadAfter("features")?.Weight);
    }

    [Fact]
    public void VggAutoLayerIsFeaturesAndItHasNoCamHead()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("vgg11", preprocessing: Small, device: torch.CPU);

        Assert.Equal("features", model.AutoLayer);
        Assert.Null(model.HeadAfter("features"));
        Assert.Null(model.HeadAfter("auto"));
    }

    [Fact]
    public void RegisteredArchitecturesAreBuiltLikeTheOthers()
    {
        TorchVisionModels.Register("test_tiny_net", classes => nn.Sequential(
            ("features", nn.Conv2d(3, 8, 3, stride: 4)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(8, classes))), inputSize: 32);

        using ModuleCamModel model = TorchVisionModels.CreateCamModel("test_tiny_net", labels: ["cat", "dog", "fox"], device: torch.CPU);

        Assert.Contains("test_tiny_net", TorchVisionModels.Names);
        Assert.Equal(["cat", "dog", "fox"], model.Labels);
        Assert.Equal(32, model.Preprocessing.InputWidth);
        Assert.Equal("features", model.AutoLayer);
        Assert.NotNull(model.HeadAfter("features"));
    }

    [Fact]
    public void ParametersNeverRequireGradAndTheModelIsInEvalMode()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: Small, device: torch.CPU);

        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(model.Module.modules(), m => Assert.False(m.training));
    }

    private static void Save(nn.Module module, string path)
    {
        switch (Path.GetExtension(path))
        {
            case ".pth":
                module.save_py(path);
                Assert.Equal(WeightsFormat.PyTorch, StateDictFile.DetectFormat(path));
                break;
            case ".safetensors":
                module.save_safetensors(path);
                Assert.Equal(WeightsFormat.Safetensors, StateDictFile.DetectFormat(path));
                break;
            default:
                module.save(path);
                Assert.Equal(WeightsFormat.TorchSharp, StateDictFile.DetectFormat(path));
                break;
        }
    }
}
