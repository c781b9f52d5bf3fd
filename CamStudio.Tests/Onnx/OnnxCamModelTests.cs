using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using Onnx;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>The shared int8 MobileNetV2 imported as an <see cref="ICamModel"/>: predictions, layers, head, gradients.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxCamModelTests : IClassFixture<SharedOnnxModelFixture>
{
    private static readonly string[] CatClasses = ["tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "Egyptian cat"];

    private readonly ITestOutputHelper _output;
    private readonly OnnxCamModel _model;

    public OnnxCamModelTests(SharedOnnxModelFixture fixture, ITestOutputHelper output)
    {
        _output = output;
        _model = fixture.Model;
    }

    [Fact]
    public void SharedModelPredictsWhatThePhotosShow()
    {
        using var scope = NewDisposeScope();
        using ModelRun run = _model.Run(OnnxTestSupport.Photos("both.png", "coffee.png", "grace_hopper.bmp", "chelsea.png"), _model.AutoLayer, trackGradients: false);
        for (int i = 0; i < 4; i++)
            _output.WriteLine(string.Join(", ", OnnxTestSupport.TopClasses(run.Logits[i], 3)));

        string[] both = OnnxTestSupport.TopClasses(run.Logits[0], 3);
        Assert.Equal("bull mastiff", both[0]);
        Assert.Contains("tiger cat", both);
        Assert.Equal("espresso", OnnxTestSupport.TopClasses(run.Logits[1], 1)[0]);
        Assert.Equal("military uniform", OnnxTestSupport.TopClasses(run.Logits[2], 1)[0]);
        Assert.Contains(OnnxTestSupport.TopClasses(run.Logits[3], 1)[0], CatClasses);
        Assert.Equal(1000, _model.Labels.Count);
        Assert.Equal("tench, Tinca tinca", _model.Labels[0]);
    }

    [Fact]
    public void AutoLayerIsThe1280ChannelTensorFeedingTheGlobalAveragePool()
    {
        LayerInfo auto = _model.Layers.Single(l => l.Name == _model.AutoLayer);
        Assert.Equal([1L, 1280, 7, 7], auto.Shape);
        Assert.Equal("QLinearConv", auto.Kind);
        OnnxGraphNode pool = _model.Graph.Nodes.Single(n => n.OpType == "QLinearGlobalAveragePool");
        Assert.Equal(_model.AutoLayer, pool.Inputs[0]);
    }

    [Fact]
    public void LayersAreEveryGraphTensorInExecutionOrderWithProbeShapes()
    {
        ModelProto proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(SharedResources.Model));
        string[] expected = ["input", .. proto.Graph.Node.SelectMany(n => n.Output)];
        Assert.Equal(expected, _model.Layers.Select(l => l.Name));
        Assert.Equal([1L, 3, 224, 224], _model.Layers[0].Shape);
        Assert.Equal([1L, 32, 112, 112], _model.Layers.Single(l => l.Name == "474_quantized").Shape);
        Assert.Equal([1L, 1280, 7, 7], _model.Layers.Single(l => l.Name == "627").Shape);
        Assert.Equal("DequantizeLinear", _model.Layers.Single(l => l.Name == "627").Kind);
        Assert.Equal([4L], _model.Layers.Single(l => l.Name == "465").Shape);
        Assert.Equal([1L, 1000], _model.Layers[^1].Shape);
        Assert.Equal(52, _model.Layers.Count(l => l.Kind == "QLinearConv"));
    }

    [Fact]
    public void HeadAfterAutoLayerIsTheDequantisedClassifierAndReproducesTheLogits()
    {
        LinearHead head = _model.HeadAfter(_model.AutoLayer) ?? throw new Xunit.Sdk.XunitException("no head found");
        Assert.Equal([1000L, 1280], head.Weight.shape);

        // Independent dequantisation of classifier.1.weight (1280×1000 int8, one scale and zero point per class).
        ModelProto proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(SharedResources.Model));
        var init = proto.Graph.Initializer.ToDictionary(t => t.Name);
        float[] q = TorchVisionReference.Floats(init["classifier.1.weight_quantized"]);
        float[] s = TorchVisionReference.Floats(init["classifier.1.weight_scale"]);
        float[] z = TorchVisionReference.Floats(init["classifier.1.weight_zero_point"]);
        using var scope = NewDisposeScope();
        foreach ((int c, int k) in new[] { (0, 0), (1279, 999), (640, 281), (17, 243) })
            Assert.Equal((q[c * 1000 + k] - z[k]) * s[k], head.Weight[k, c].item<float>(), 1e-6);

        using ModelRun run = _model.Run(OnnxTestSupport.Photo("coffee.png"), _model.AutoLayer, trackGradients: false);
        Tensor logits = run.Activation.mean([2, 3]).matmul(head.Weight.t()) + head.Bias!;
        Assert.True((logits - run.Logits).abs().max().item<float>() < 1e-4f);
    }

    [Fact]
    public void HeadAfterAnEarlierLayerIsNull()
    {
        Assert.Null(_model.HeadAfter("474_quantized"));
        Assert.Null(_model.HeadAfter("464_quantized"));
    }

    [Fact]
    public void BatchOfFourGivesTheLogitsOfEachPhotoAlone()
    {
        using var scope = NewDisposeScope();
        string[] names = ["both.png", "coffee.png", "grace_hopper.bmp", "chelsea.png"];
        using ModelRun batch = _model.Run(OnnxTestSupport.Photos(names), _model.AutoLayer, trackGradients: false);
        Assert.Equal([4L, 1000], batch.Logits.shape);
        Assert.Equal([4L, 1280, 7, 7], batch.Activation.shape);
        for (int i = 0; i < names.Length; i++)
        {
            using ModelRun single = _model.Run(OnnxTestSupport.Photo(names[i]), _model.AutoLayer, trackGradients: false);
            Assert.True((single.Logits[0] - batch.Logits[i]).abs().max().item<float>() < 1e-4f);
        }
    }

    [Fact]
    public void GradientOfALogitWithRespectToTheAutoLayerIsTheClassifierWeightOverTheMapArea()
    {
        // For logits = W·GAP(A) + b, ∂logit_c/∂A[k, i, j] = W[c, k] / (H·W): a closed form to check autograd against.
        LinearHead head = _model.HeadAfter(_model.AutoLayer)!;
        using var scope = NewDisposeScope();
        using ModelRun run = _model.Run(OnnxTestSupport.Photo("both.png"), _model.AutoLayer, trackGradients: true);
        Assert.True(run.Activation.requires_grad);
        Assert.True(run.Activation.is_leaf);
        Assert.True(run.Logits.requires_grad);
        const int mastiff = 243;
        Tensor grad = torch.autograd.grad([run.Logits[0, mastiff]], [run.Activation], retain_graph: true)[0];
        Tensor expected = (head.Weight[mastiff] / 49f).reshape(1, 1280, 1, 1).expand(1, 1280, 7, 7);
        Assert.True((grad - expected).abs().max().item<float>() < 1e-6f);
        Assert.All(_model.Graph.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void GradientsFlowFromAnIntermediateLayerThroughTheRestOfTheGraph()
    {
        using var scope = NewDisposeScope();
        using ModelRun run = _model.Run(OnnxTestSupport.Photo("coffee.png"), "400_quantized", trackGradients: true);
        Assert.Equal([1L, 64, 14, 14], run.Activation.shape);
        Tensor grad = torch.autograd.grad([run.Logits[0, 967]], [run.Activation])[0];
        Assert.True(grad.abs().sum().item<float>() > 0);
        Assert.Equal(run.Activation.shape, grad.shape);
    }

    [Fact]
    public void GradCamOnBothPngPeaksOnTheDogForBullMastiffAndOnTheCatForTigerCat()
    {
        using var scope = NewDisposeScope();
        using ModelRun run = _model.Run(OnnxTestSupport.Photo("both.png"), _model.AutoLayer, trackGradients: true);
        (int Row, int Col) Peak(int cls)
        {
            // Grad-CAM (Selvaraju et al. 2017): ReLU(Σ_k mean_ij(∂y_c/∂A_k) · A_k).
            Tensor grad = torch.autograd.grad([run.Logits[0, cls]], [run.Activation], retain_graph: true)[0];
            Tensor weights = grad.mean([2, 3], keepdim: true);
            Tensor cam = (weights * run.Activation).sum(1).relu()[0].detach();
            _output.WriteLine($"class {cls}:\n{string.Join("\n", Enumerable.Range(0, 7).Select(r => string.Join(" ", Enumerable.Range(0, 7).Select(c => cam[r, c].item<float>().ToString("F2")))))}");
            long index = cam.argmax().item<long>();
            return ((int)(index / 7), (int)(index % 7));
        }
        (int mastiffRow, int mastiffCol) = Peak(243);
        (int catRow, int catCol) = Peak(282);
        _output.WriteLine($"bull mastiff peak ({mastiffRow}, {mastiffCol}); tiger cat peak ({catRow}, {catCol})");
        // Boxes drawn by hand on the 7×7 grid (32 px cells) of both.png: the bulldog sits upper middle (x 70–170,
        // y 0–140), the tabby lies across the bottom, head on the right (x 40–210, y 120–224).
        Assert.InRange(mastiffRow, 0, 3);
        Assert.InRange(mastiffCol, 2, 5);
        Assert.InRange(catRow, 4, 6);
        Assert.InRange(catCol, 1, 6);
    }

    [Fact]
    public void RunningAndDisposingLeaksNoTensor()
    {
        using (var warm = _model.Run(OnnxTestSupport.Photo("both.png"), _model.AutoLayer, trackGradients: true))
        { }
        using Tensor photo = OnnxTestSupport.Photo("both.png");
        long before = LiveTensors.OnThisThread();
        for (int i = 0; i < 2; i++)
        {
            using ModelRun run = _model.Run(photo, _model.AutoLayer, trackGradients: i == 1);
            if (i == 1)
            {
                using var scope = NewDisposeScope();
                torch.autograd.grad([run.Logits[0, 243]], [run.Activation]);
            }
        }
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void LoadingFindingTheHeadAndDisposingLeavesNoTensorBehind()
    {
        long before = LiveTensors.OnThisThread();
        using (OnnxCamModel model = OnnxTestSupport.LoadSharedModel())
            Assert.NotNull(model.HeadAfter(model.AutoLayer));
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void WrongInputShapeIsRejectedWithTheExpectedShape()
    {
        using Tensor small = torch.zeros(2, 3, 200, 200);
        var ex = Assert.Throws<ArgumentException>(() => _model.Run(small, _model.AutoLayer, trackGradients: false));
        Assert.Contains("N×3×224×224", ex.Message);
        Assert.Contains("2×3×200×200", ex.Message);
        using Tensor gray = torch.zeros(1, 1, 224, 224);
        Assert.Throws<ArgumentException>(() => _model.Run(gray, _model.AutoLayer, trackGradients: false));
    }

    [Fact]
    public void UnknownLayerIsRejectedByName()
    {
        using Tensor photo = torch.zeros(1, 3, 224, 224);
        var ex = Assert.Throws<ArgumentException>(() => _model.Run(photo, "features.18", trackGradients: false));
        Assert.Contains("'features.18'", ex.Message);
        Assert.Throws<ArgumentException>(() => _model.HeadAfter("nope"));
    }
}
