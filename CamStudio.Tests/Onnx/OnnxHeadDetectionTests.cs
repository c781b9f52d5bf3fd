using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>AutoLayer and HeadAfter on small float classifiers whose heads are known by construction.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxHeadDetectionTests : IDisposable
{
    private const int Classes = 5, Channels = 4;

    private readonly string _folder = Directory.CreateTempSubdirectory("camstudio-onnx-head-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Ramp(int n, float scale) => Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.91f + 0.2f) * scale).ToArray();

    /// <summary>input → Conv (4 filters, 32×32 stride 32 → 7×7) → Relu → "features"; the tail is up to the test.</summary>
    private static OnnxGraphBuilder Backbone() => new OnnxGraphBuilder(opset: 13, inputShape: [-1, 3, 224, 224])
        .Float("conv.w", Ramp(Channels * 3 * 32 * 32, 0.01f), Channels, 3, 32, 32).Float("conv.b", Ramp(Channels, 0.1f), Channels)
        .Float("fc.w", Ramp(Classes * Channels, 1f), Classes, Channels).Float("fc.b", Ramp(Classes, 0.5f), Classes)
        .Node("Conv", ["x", "conv.w", "conv.b"], "conv", Ints("strides", 32, 32))
        .Node("Relu", ["conv"], "features");

    private OnnxCamModel Load(OnnxGraphBuilder graph, string file)
    {
        string path = Path.Combine(_folder, file);
        File.WriteAllBytes(path, graph.Bytes());
        return OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU);
    }

    private static void AssertHeadIsTheClassifier(LinearHead? head)
    {
        Assert.NotNull(head);
        using var scope = NewDisposeScope();
        float[] w = Ramp(Classes * Channels, 1f), b = Ramp(Classes, 0.5f);
        Assert.Equal([(long)Classes, Channels], head!.Weight.shape);
        for (int c = 0; c < Classes; c++)
        {
            Assert.Equal(b[c], head.Bias![c].item<float>(), 1e-5);
            for (int k = 0; k < Channels; k++)
                Assert.Equal(w[c * Channels + k], head.Weight[c, k].item<float>(), 1e-5);
        }
    }

    [Fact]
    public void ReduceMeanOverHeightAndWidthFollowedByGemmIsAClassifierHead()
    {
        using OnnxCamModel model = Load(Backbone()
            .Long("axes", [2, 3], 2)
            .Node("ReduceMean", ["features", "axes"], "pooled", Int("keepdims", 0))
            .Node("Gemm", ["pooled", "fc.w", "fc.b"], "logits", Int("transB", 1)), "reducemean.onnx");
        Assert.Equal("features", model.AutoLayer);
        Assert.Equal([1L, Channels, 7, 7], model.Layers.Single(l => l.Name == "features").Shape);
        AssertHeadIsTheClassifier(model.HeadAfter("features"));
        Assert.Null(model.HeadAfter("conv"));   // Relu lies between conv and the pool
    }

    [Fact]
    public void ReduceMeanWithAxesAttributeOverHeightAndWidthIsAGlobalAveragePool()
    {
        // Opset 13: axes are an attribute.
        using OnnxCamModel model = Load(Backbone()
            .Node("ReduceMean", ["features"], "pooled", Ints("axes", -2, -1), Int("keepdims", 0))
            .Node("Gemm", ["pooled", "fc.w", "fc.b"], "logits", Int("transB", 1)), "reducemean-attribute.onnx");
        Assert.Equal("features", model.AutoLayer);
        AssertHeadIsTheClassifier(model.HeadAfter("features"));
    }

    [Fact]
    public void AChannelMeanOfThePooledVectorIsNotAGlobalAveragePool()
    {
        // ConvNeXt's classifier at opset 13: GAP, then a channels-last LayerNorm decomposed into a ReduceMean over the last
        // axis of 1×1×1×C. Its input would pass a shape-only test (keeps N and "C" = 1, drops the rest to 1) but is no map.
        using OnnxCamModel model = Load(Backbone()
            .Node("GlobalAveragePool", ["features"], "pooled")
            .Node("Transpose", ["pooled"], "nhwc", Ints("perm", 0, 2, 3, 1))
            .Node("ReduceMean", ["nhwc"], "mean", Ints("axes", -1), Int("keepdims", 1))
            .Node("Sub", ["nhwc", "mean"], "centred")
            .Node("Transpose", ["centred"], "nchw", Ints("perm", 0, 3, 1, 2))
            .Node("Flatten", ["nchw"], "flat")
            .Node("Gemm", ["flat", "fc.w", "fc.b"], "logits", Int("transB", 1)), "channel-mean.onnx");
        Assert.Equal([1L, 1, 1, Channels], model.Layers.Single(l => l.Name == "nhwc").Shape);
        Assert.Equal("features", model.AutoLayer);
    }

    [Fact]
    public void GlobalAveragePoolFlattenMatMulAddIsAClassifierHeadAndBatchesWork()
    {
        using OnnxCamModel model = Load(Backbone()
            .Float("fc.wt", TransposedClassifier(), Channels, Classes)
            .Long("target", [1, Channels], 2)
            .Node("GlobalAveragePool", ["features"], "pooled")
            .Node("Reshape", ["pooled", "target"], "flat")   // batch 1 baked in, as some exporters do
            .Node("MatMul", ["flat", "fc.wt"], "scores")
            .Node("Add", ["scores", "fc.b"], "logits"), "matmul.onnx");
        Assert.Equal("features", model.AutoLayer);
        AssertHeadIsTheClassifier(model.HeadAfter("features"));

        using var scope = NewDisposeScope();
        Tensor photos = torch.linspace(-2, 2, 3 * 3 * 224 * 224).sin().reshape(3, 3, 224, 224);
        using ModelRun batch = model.Run(photos, model.AutoLayer, trackGradients: false);
        Assert.Equal([3L, Classes], batch.Logits.shape);
        using ModelRun last = model.Run(photos[2..], model.AutoLayer, trackGradients: false);
        Assert.True((batch.Logits[2] - last.Logits[0]).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void ANonLinearityAfterTheLinearLayerMeansThereIsNoCamHead()
    {
        using OnnxCamModel model = Load(Backbone()
            .Node("GlobalAveragePool", ["features"], "pooled")
            .Node("Flatten", ["pooled"], "flat")
            .Node("Gemm", ["flat", "fc.w", "fc.b"], "scores", Int("transB", 1))
            .Node("Sigmoid", ["scores"], "logits"), "sigmoid.onnx");
        Assert.Equal("features", model.AutoLayer);
        Assert.Null(model.HeadAfter("features"));
    }

    private static float[] TransposedClassifier()
    {
        float[] w = Ramp(Classes * Channels, 1f);
        var t = new float[w.Length];
        for (int c = 0; c < Classes; c++)
            for (int k = 0; k < Channels; k++)
                t[k * Classes + c] = w[c * Channels + k];
        return t;
    }
}
