using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Models;

/// <summary>
/// The batch-norm-folded copy the forwards run on: every layer but a folded convolution computes what the model's
/// does, the maps are the unfolded model's, and the copy follows the weights when they change.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BatchNormFoldingTests(ITestOutputHelper output)
{
    private const int Size = 96;

    /// <summary>resnet18 with random weights and, unlike a fresh one, batch norms that do something (random statistics and affine terms).</summary>
    private static (ModuleCamModel Folded, ModuleCamModel Plain) TwoResNets(string architecture = "resnet18")
    {
        torch.manual_seed(20261203);
        ModuleCamModel folded = TorchVisionModels.CreateCamModel(architecture, preprocessing: PreprocessingSpec.ImageNet(Size), device: CPU);
        ModuleCamModel plain = TorchVisionModels.CreateCamModel(architecture, preprocessing: PreprocessingSpec.ImageNet(Size), device: CPU, foldBatchNorms: false);
        using (torch.no_grad())
        {
            foreach ((string _, nn.Module module) in folded.Module.named_modules())
            {
                if (module is not BatchNorm2d norm)
                    continue;
                long c = norm.running_mean!.shape[0];
                norm.running_mean!.copy_(torch.randn(c) * 0.3);
                norm.running_var!.copy_(torch.rand(c) * 1.5 + 0.2);
                norm.weight!.copy_(torch.rand(c) + 0.5);
                norm.bias!.copy_(torch.randn(c) * 0.2);
            }
            plain.Module.load_state_dict(folded.Module.state_dict());
        }
        return (folded, plain);
    }

    private static Tensor Photo(ModuleCamModel model, string file)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(SharedResources.Image(file));
        using Image<Rgb24> resized = PhotoPreprocessor.Resize(image, model.Preprocessing);
        return PhotoPreprocessor.ToBatch([resized], model.Preprocessing, CPU);
    }

    private static double Relative(Tensor expected, Tensor actual) =>
        (expected - actual).abs().max().item<float>() / expected.abs().max().item<float>();

    [Fact]
    public void EveryLayerButAFoldedConvolutionIsCapturedAsTheModelComputesIt()
    {
        (ModuleCamModel folded, ModuleCamModel plain) = TwoResNets();
        using (folded)
        using (plain)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor batch = Photo(folded, "dog.jpg");
            foreach (string layer in new[] { "layer4", "layer3.1", "layer4.1.bn2", "layer4.1.conv2", "layer2.0.downsample.1", "relu" })
            {
                using ModelRun a = folded.Run(batch, layer, trackGradients: true);
                using ModelRun b = plain.Run(batch, layer, trackGradients: true);
                double activation = Relative(b.Activation, a.Activation), logits = Relative(b.Logits, a.Logits);
                output.WriteLine($"{layer}: activation {activation:0.0e0}, logits {logits:0.0e0} of the largest");
                Assert.True(activation < 1e-4 && logits < 1e-4, $"{layer}: activation {activation}, logits {logits}");
                Tensor ga = torch.autograd.grad([a.Logits[.., 3].sum()], [a.Activation])[0];
                Tensor gb = torch.autograd.grad([b.Logits[.., 3].sum()], [b.Activation])[0];
                Assert.True(Relative(gb, ga) < 1e-4, $"{layer}: gradient {Relative(gb, ga)}");
            }
            Assert.True(folded.FoldsBatchNorms);
            Assert.False(plain.FoldsBatchNorms);
            Assert.True(Relative(plain.InferenceLogits(batch), folded.InferenceLogits(batch)) < 1e-4);
        }
    }

    [Theory]
    [InlineData("resnet18", "dog.jpg")]
    [InlineData("resnet18", "chelsea.png")]
    [InlineData("resnet50", "dog.jpg")]
    public void FoldedGradientMapsAreTheUnfoldedOnesOnTheSharedPhotos(string architecture, string photo)
    {
        (ModuleCamModel folded, ModuleCamModel plain) = TwoResNets(architecture);
        using (folded)
        using (plain)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor batch = Photo(folded, photo);
            var request = new ExplainRequest(["gradcam", "gradcam++", "layercam"], ClassSelection.Top1);
            IReadOnlyList<ClassMap> a = CamExplainer.Explain(folded, batch, request)[0].Maps;
            IReadOnlyList<ClassMap> b = CamExplainer.Explain(plain, batch, request)[0].Maps;
            Assert.True(folded.FoldsBatchNorms);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal(b[i].ClassIndex, a[i].ClassIndex);
                double r = AnchorAgreementTests.Pearson(b[i].Map.Raw, a[i].Map.Raw);
                double diff = MapAssert.MinMax(b[i].Map.Raw).Zip(MapAssert.MinMax(a[i].Map.Raw), (x, y) => Math.Abs(x - y)).Max();
                output.WriteLine($"{architecture} {photo} {a[i].Method}: Pearson {r:0.000000}, max abs diff of the min-max scaled maps {diff:0.0e0}");
                Assert.True(r >= 0.999, $"{a[i].Method}: Pearson {r}");
            }
        }
    }

    [Fact]
    public void TheFoldedCopyFollowsRandomisedWeightsAndTheirRestoration()
    {
        (ModuleCamModel folded, ModuleCamModel plain) = TwoResNets();
        using (folded)
        using (plain)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor batch = Photo(folded, "chelsea.png");
            Tensor before = folded.InferenceLogits(batch);
            using (folded.RandomiseFromOutput(3, 11))
            using (plain.RandomiseFromOutput(3, 11))
            {
                Tensor randomised = folded.InferenceLogits(batch);
                Assert.True(Relative(plain.InferenceLogits(batch), randomised) < 1e-4);
                Assert.True(Relative(before, randomised) > 1e-2);
            }
            Assert.True(Relative(before, folded.InferenceLogits(batch)) < 1e-5);
        }
    }

    [Fact]
    public void ACopyFirstMadeForAnInferencePassServesGradientRuns()
    {
        (ModuleCamModel folded, ModuleCamModel plain) = TwoResNets();
        using (folded)
        using (plain)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor batch = Photo(folded, "dog.jpg");
            folded.InferenceLogits(batch);
            Assert.True(folded.FoldsBatchNorms);
            using ModelRun a = folded.Run(batch, "layer3", trackGradients: true);
            using ModelRun b = plain.Run(batch, "layer3", trackGradients: true);
            Tensor ga = torch.autograd.grad([a.Logits[.., 5].sum()], [a.Activation])[0];
            Tensor gb = torch.autograd.grad([b.Logits[.., 5].sum()], [b.Activation])[0];
            Assert.True(Relative(gb, ga) < 1e-4, $"gradient {Relative(gb, ga)}");
        }
    }

    [Fact]
    public void ABatchNormNotFedByAConvolutionAloneIsNotFolded()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        // conv → relu → bn: the BN reads the ReLU's output, so there is no convolution to fold it into.
        nn.Module<Tensor, Tensor> afterRelu = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("relu", nn.ReLU()), ("bn", nn.BatchNorm2d(4)));
        afterRelu.eval();
        Assert.Null(BatchNormFolding.Pairs(afterRelu, torch.randn(1, 3, 8, 8)));
        nn.Module<Tensor, Tensor> direct = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("bn", nn.BatchNorm2d(4)), ("relu", nn.ReLU()));
        direct.eval();
        Assert.Equal([("conv", "bn")], BatchNormFolding.Pairs(direct, torch.randn(1, 3, 8, 8))!);
    }
}
