using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>An ONNX model run with a tensor's value substituted gives the logits computed by hand from that value.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxLayerOutputReplacementTests : IDisposable
{
    private const int Classes = 5, Channels = 4;

    private readonly string _folder = Directory.CreateTempSubdirectory("camstudio-onnx-replace-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Ramp(int n, float scale, float phase = 0.2f) => Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.91f + phase) * scale).ToArray();

    /// <summary>
    /// x → Conv → "conv" → Relu → "features" → GAP → Flatten → Gemm(fc) → "scores"; and a skip from the input:
    /// x → GAP → Flatten → MatMul(skip.w) → "skip"; logits = scores + skip. The skip must still run when "conv" is replaced.
    /// </summary>
    private OnnxCamModel Load()
    {
        OnnxGraphBuilder graph = new OnnxGraphBuilder(opset: 13, inputShape: [-1, 3, 224, 224])
            .Float("conv.w", Ramp(Channels * 3 * 32 * 32, 0.01f), Channels, 3, 32, 32).Float("conv.b", Ramp(Channels, 0.1f), Channels)
            .Float("fc.w", Ramp(Classes * Channels, 1f), Classes, Channels).Float("fc.b", Ramp(Classes, 0.5f), Classes)
            .Float("skip.w", Ramp(3 * Classes, 0.7f, 1.3f), 3, Classes)
            .Node("Conv", ["x", "conv.w", "conv.b"], "conv", Ints("strides", 32, 32))
            .Node("Relu", ["conv"], "features")
            .Node("GlobalAveragePool", ["features"], "pooled")
            .Node("Flatten", ["pooled"], "flat")
            .Node("Gemm", ["flat", "fc.w", "fc.b"], "scores", Int("transB", 1))
            .Node("GlobalAveragePool", ["x"], "xpooled")
            .Node("Flatten", ["xpooled"], "xflat")
            .Node("MatMul", ["xflat", "skip.w"], "skip")
            .Node("Add", ["scores", "skip"], "logits");
        string path = Path.Combine(_folder, "skip.onnx");
        File.WriteAllBytes(path, graph.Bytes());
        return OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU);
    }

    [Fact]
    public void LogitsWithAReplacedTensorAreTheRestOfTheGraphAppliedToTheGivenValue()
    {
        using OnnxCamModel model = Load();
        long before = LiveTensors.OnThisThread();
        using (var scope = NewDisposeScope())
        {
            var generator = new Generator(11);
            Tensor x = torch.rand([2, 3, 224, 224], generator: generator);
            Tensor given = torch.randn([2, Channels, 7, 7], generator: generator);

            Tensor logits = model.LogitsWithLayerOutput(x, "conv", given);

            // By hand: relu → mean over H, W → W·p + b, plus the skip branch from the (unchanged) input.
            Tensor w = torch.tensor(Ramp(Classes * Channels, 1f)).reshape(Classes, Channels);
            Tensor b = torch.tensor(Ramp(Classes, 0.5f));
            Tensor s = torch.tensor(Ramp(3 * Classes, 0.7f, 1.3f)).reshape(3, Classes);
            Tensor expected = given.relu().mean([2, 3]).matmul(w.t()) + b + x.mean([2, 3]).matmul(s);
            Assert.Equal([2L, Classes], logits.shape);
            Assert.True(torch.allclose(logits, expected, rtol: 1e-5, atol: 1e-5),
                $"max difference {(logits - expected).abs().max().item<float>()}");
            Assert.False(logits.requires_grad);
        }
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void ReplacingWithTheLayersOwnOutputGivesTheModelsLogits()
    {
        using OnnxCamModel model = Load();
        using var scope = NewDisposeScope();
        Tensor x = torch.rand([1, 3, 224, 224], generator: new Generator(5));
        using var run = model.Run(x, "features", trackGradients: false);

        Tensor logits = model.LogitsWithLayerOutput(x, "features", run.Activation);

        Assert.True(torch.allclose(logits, run.Logits, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void AValueOfTheWrongShapeIsRefusedBeforeTheGraphRuns()
    {
        using OnnxCamModel model = Load();
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() =>
            model.LogitsWithLayerOutput(torch.zeros(1, 3, 224, 224), "conv", torch.zeros(1, Channels + 1, 7, 7)));
        Assert.StartsWith("Layer 'conv' of skip outputs N×4×7×7, so it cannot be replaced by 1×5×7×7 for a batch of 1.", error.Message);
    }
}
