using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

[Collection(TorchCollection.Name)]
public sealed class ModuleCamModelTests
{
    [Fact]
    public void CapturedActivationIsTheLayersOwnOutputEvenWhenTheNextModuleWorksInPlace()
    {
        // torchvision's ResNet follows bn1 with ReLU(inplace: true); the capture must still hold bn1's output.
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: PreprocessingSpec.ImageNet(64), device: torch.CPU);
        using Tensor input = TinyCnn.RandomBatch(2, 64, seed: 51);
        var conv1 = (nn.Module<Tensor, Tensor>)model.Module.named_modules().Single(m => m.name == "conv1").module;
        var bn1 = (nn.Module<Tensor, Tensor>)model.Module.named_modules().Single(m => m.name == "bn1").module;
        float[] expected;
        float[] plainLogits;
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            expected = bn1.forward(conv1.forward(input)).data<float>().ToArray();
            plainLogits = model.Module.call(input).data<float>().ToArray();
        }

        using ModelRun run = model.Run(input, "bn1", trackGradients: true);

        using var scope2 = torch.NewDisposeScope();
        float[] captured = run.Activation.detach().data<float>().ToArray();
        Assert.Contains(expected, v => v < 0);
        MapAssert.Close(expected, captured, 1e-6, "bn1 output");
        // The run goes through the batch-norm-folded copy, equal to the module's own forward up to float rounding.
        MapAssert.Close(plainLogits, run.Logits.detach().data<float>().ToArray(), 1e-5, "logits");
    }

    [Fact]
    public void WithGradientsAutogradStartsAtTheCapturedActivation()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor input = TinyCnn.RandomBatch(1, 12, seed: 52);

        using ModelRun run = model.Run(input, "conv2", trackGradients: true);

        Assert.True(run.Activation.requires_grad);
        Assert.True(run.Activation.is_leaf);
        Assert.True(run.Logits.requires_grad);
        Assert.All(model.Module.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void WithoutGradientsNothingIsRecorded()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor input = TinyCnn.RandomBatch(1, 12, seed: 53);

        using ModelRun run = model.Run(input, "auto", trackGradients: false);

        Assert.False(run.Activation.requires_grad);
        Assert.False(run.Logits.requires_grad);
        Assert.Equal([1L, TinyCnn.Channels, 6, 6], run.Activation.shape);
    }

    [Fact]
    public void RunsLeaveNoTensorAndNoHookBehind()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor input = TinyCnn.RandomBatch(2, 12, seed: 54);
        using (model.Run(input, "relu2", trackGradients: true))
        { }
        long before = LiveTensors.OnThisThread();

        for (int i = 0; i < 20; i++)
        {
            using ModelRun run = model.Run(input, i % 2 == 0 ? "relu2" : "conv1", trackGradients: i % 3 == 0);
        }

        Assert.Equal(before, LiveTensors.OnThisThread());
        // Had a hook stayed, this run's layer would report two captures or its values would be replaced.
        using ModelRun last = model.Run(input, "relu2", trackGradients: false);
        Assert.Equal([2L, TinyCnn.Channels, 6, 6], last.Activation.shape);
    }

    [Fact]
    public void TinyModelLayersAutoLayerAndHeadFollowTheRules()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();

        Assert.Equal(["conv1", "relu1", "conv2", "relu2", "pool", "flatten", "fc"], model.Layers.Select(l => l.Name));
        Assert.Equal("1×6×6×6", model.Layers.Single(l => l.Name == "relu2").ShapeText);
        Assert.Equal("AdaptiveAvgPool2d", model.Layers.Single(l => l.Name == "pool").Kind);
        Assert.Equal("relu2", model.AutoLayer);
        Assert.NotNull(model.HeadAfter("relu2"));
        Assert.Null(model.HeadAfter("conv2"));   // same channels, but a ReLU sits between it and the pooling
        Assert.Null(model.HeadAfter("conv1"));
        Assert.Null(model.HeadAfter("fc"));
        Assert.Equal(["class 0", "class 1", "class 2", "class 3", "class 4"], model.Labels);
    }

    [Fact]
    public void AModelWhoseHeadIsNotGapPlusOneLinearHasNoHead()
    {
        // fc has in_features = C and one output per class, but a hidden layer sits between: the probe run tells.
        using ModuleCamModel model = TinyCnn.TwoLayerHead();

        Assert.Null(model.HeadAfter("relu2"));
    }

    [Fact]
    public void LabelsThatDoNotMatchTheClassCountAreRefused()
    {
        torch.manual_seed(1);
        var network = nn.Sequential(("conv", nn.Conv2d(3, 2, 3)), ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(2, 3)));

        var error = Assert.Throws<ArgumentException>(() =>
            new ModuleCamModel("three-classes", network, PreprocessingSpec.ImageNet(16), torch.CPU, ["cat", "dog"]));

        Assert.Contains("outputs 3 classes but 2 labels", error.Message);
        network.Dispose();
    }
}
