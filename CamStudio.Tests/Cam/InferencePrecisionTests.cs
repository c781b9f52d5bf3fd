using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>
/// The bfloat16 copy the extra passes run on: used only where the CPU has bfloat16 instructions and the model can be
/// copied, float32 otherwise; and where used, Score-CAM's maps on the shared photos agree with float32's.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class InferencePrecisionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("flags\t\t: fpu vme sse2 avx2 avx512f avx512_bf16 avx512_vnni\n", true)]
    [InlineData("flags\t\t: fpu sse2 avx2 amx_bf16 amx_tile\n", true)]
    [InlineData("flags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_vnni\n", false)]
    [InlineData("processor\t: 0\nmodel name\t: some cpu\n", false)]
    [InlineData("", false)]
    public void BFloat16IsDetectedFromTheFlagsLineOfCpuInfo(string cpuInfo, bool expected) =>
        Assert.Equal(expected, CpuFeatures.HasBFloat16(cpuInfo));

    [Fact]
    public void AModelThatCannotBeCopiedStaysInFloat32EvenWhenBFloat16IsAsked()
    {
        using ModuleCamModel tiny = new("tiny", TinyNetwork(), PreprocessingSpec.ImageNet(12), CPU, inferencePrecision: ScalarType.BFloat16);
        using ModuleCamModel copyable = new("tiny", TinyNetwork(), PreprocessingSpec.ImageNet(12), CPU,
            createReplica: TinyNetwork, inferencePrecision: ScalarType.BFloat16);
        using ModuleCamModel float32 = new("tiny", TinyNetwork(), PreprocessingSpec.ImageNet(12), CPU,
            createReplica: TinyNetwork, inferencePrecision: ScalarType.Float32);

        Assert.Equal(ScalarType.Float32, tiny.InferencePrecision);
        Assert.Equal(ScalarType.BFloat16, copyable.InferencePrecision);
        Assert.Equal(ScalarType.Float32, float32.InferencePrecision);
        Assert.Throws<ArgumentException>(() => new ModuleCamModel("tiny", TinyNetwork(), PreprocessingSpec.ImageNet(12), CPU, inferencePrecision: ScalarType.Float16));
    }

    [Fact]
    public void TorchVisionModelsRunTheirExtraPassesInBFloat16ExactlyWhenTheCpuHasIt()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: PreprocessingSpec.ImageNet(64), device: CPU);
        ScalarType expected = CpuFeatures.UseBFloat16ForInference ? ScalarType.BFloat16 : ScalarType.Float32;
        output.WriteLine($"hardware bfloat16: {CpuFeatures.HardwareBFloat16}; inference precision: {model.InferencePrecision}");
        Assert.Equal(expected, model.InferencePrecision);
    }

    [Theory]
    [InlineData("dog.jpg")]
    [InlineData("chelsea.png")]
    public void BFloat16ScoreCamAgreesWithFloat32OnTheSharedPhotos(string photo)
    {
        const int size = 112;
        using ModuleCamModel fp32 = SeededResNet18(size, ScalarType.Float32);
        using ModuleCamModel bf16 = SeededResNet18(size, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16.InferencePrecision);
        using Image<Rgb24> image = Image.Load<Rgb24>(SharedResources.Image(photo));
        using Image<Rgb24> resized = PhotoPreprocessor.Resize(image, fp32.Preprocessing);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor batch = PhotoPreprocessor.ToBatch([resized], fp32.Preprocessing, CPU);
        var request = new ExplainRequest(["scorecam"], ClassSelection.Top1);

        float[] exact = CamExplainer.Explain(fp32, batch, request with { Layer = "layer3" })[0].Maps.Single().Map.Raw;
        float[] fast = CamExplainer.Explain(bf16, batch, request with { Layer = "layer3" })[0].Maps.Single().Map.Raw;
        Tensor logits32 = fp32.InferenceLogits(batch), logits16 = bf16.InferenceLogits(batch);

        double r = AnchorAgreementTests.Pearson(exact, fast);
        float[] a = MapAssert.MinMax(exact), b = MapAssert.MinMax(fast);
        double diff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
        double logitDiff = (logits32 - logits16).abs().max().item<float>() / logits32.abs().max().item<float>();
        output.WriteLine($"{photo}: Score-CAM bfloat16 vs float32 Pearson {r:0.00000}, max abs diff of the min-max scaled maps {diff:0.0000}; " +
                         $"largest logit difference {logitDiff:P2} of the largest logit");
        Assert.Equal(ScalarType.Float32, logits16.dtype);
        Assert.True(r >= 0.99, $"Pearson {r}");
    }

    [Fact]
    public void TheChannelsLastInferencePassGivesTheLogitsOfTheModelsOwnForward()
    {
        // The extra passes run on a channels-last copy of the batch (faster convolutions); in float32 the logits are
        // the module's own up to summation order, and the batch keeps its shape.
        using ModuleCamModel fp32 = SeededResNet18(64, ScalarType.Float32);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor batch = torch.randn([3, 3, 64, 64], generator: new torch.Generator(7, CPU));
        Tensor stored = BatchLayout.ChannelsLast(batch);
        Assert.Equal(batch.shape, stored.shape);
        Assert.Equal([64L * 64 * 3, 1, 64 * 3, 3], stored.stride());
        Assert.Equal(0, (stored - batch).abs().max().item<float>());
        Tensor own;
        using (torch.inference_mode())
            own = fp32.Module.call(batch);
        Tensor fast = fp32.InferenceLogits(batch);
        double worst = (fast - own).abs().max().item<float>() / own.abs().max().item<float>();
        output.WriteLine($"channels-last vs NCHW float32 logits: largest difference {worst:0.0e0} of the largest logit");
        Assert.True(worst < 1e-4, $"largest difference {worst}");
    }

    private static ModuleCamModel SeededResNet18(int size, ScalarType precision)
    {
        torch.manual_seed(20261202);
        nn.Module<Tensor, Tensor> module = TorchVisionModels.Create("resnet18", device: CPU);
        return new ModuleCamModel("resnet18", module, PreprocessingSpec.ImageNet(size), CPU,
            createReplica: () => TorchVisionModels.Create("resnet18", device: CPU), inferencePrecision: precision);
    }

    private static nn.Module<Tensor, Tensor> TinyNetwork() => nn.Sequential(
        ("conv", nn.Conv2d(3, 4, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(4, 3)));
}
