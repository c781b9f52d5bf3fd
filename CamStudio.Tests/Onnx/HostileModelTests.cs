using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Cli;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// Models built to hurt: a classifier weight of the wrong shape (a native matmul used to abort the process), a graph
/// that pads its input to 12224², graphs that only run one photo at a time, names with terminal escapes.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class HostileModelTests : IDisposable
{
    internal const string WrongShapeError = "node 'classifier' (MatMul): input shapes 1×8 and 6×5 do not match.";

    private readonly TempFolder _temp = new("camstudio-hostile-model-");
    private readonly ITestOutputHelper _output;

    public HostileModelTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _temp.Dispose();

    private string Write(string name, byte[] bytes)
    {
        string path = _temp.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>conv (8 channels) → relu → GAP → flatten → matmul by a classes weight: 8×5 is right, 6×5 is the hostile one.</summary>
    internal static byte[] Classifier(long weightRows, long[]? inputShape = null, string activation = "a", string classifier = "classifier")
    {
        var b = new OnnxGraphBuilder(inputShape: inputShape ?? [-1, 3, 224, 224]);
        b.Float("w", Ramp(8 * 3 * 3 * 3), 8, 3, 3, 3).Float("fc", Ramp(weightRows * 5), weightRows, 5);
        b.Node("Conv", ["x", "w"], [activation], "", "conv", Ints("pads", 1, 1, 1, 1), Ints("strides", 4, 4));
        b.Node("Relu", [activation], "r");
        b.Node("GlobalAveragePool", ["r"], "g");
        b.Node("Flatten", ["g"], "f");
        b.Node("MatMul", ["f", "fc"], ["logits"], "", classifier);
        return b.Bytes();
    }

    private static float[] Ramp(long count) => Enumerable.Range(0, (int)count).Select(i => MathF.Sin(i * 0.37f) * 0.5f).ToArray();

    [Fact]
    public void WrongShapedClassifierWeightIsANamedNodeErrorNotANativeAbort()
    {
        string path = Write("wrong.onnx", Classifier(6));
        long before = LiveTensors.OnThisThread();
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU).Dispose());
        Assert.Equal($"wrong.onnx: {WrongShapeError}", ex.Message);
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void WrongShapedGemmWeightIsANamedNodeError()
    {
        var b = new OnnxGraphBuilder(inputShape: [-1, 3, 224, 224]);
        b.Float("w", Ramp(8 * 27), 8, 3, 3, 3).Float("fc", Ramp(5 * 6), 5, 6);
        b.Node("Conv", ["x", "w"], "a");
        b.Node("GlobalAveragePool", ["a"], "g");
        b.Node("Flatten", ["g"], "f");
        b.Node("Gemm", ["f", "fc"], ["logits"], "", "head", Int("transB", 1));
        string path = Write("gemm.onnx", b.Bytes());
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU).Dispose());
        Assert.Equal("gemm.onnx: node 'head' (Gemm): input shapes 1×8 and 6×5 do not match.", ex.Message);
    }

    [Fact]
    public void MatMulWhoseBatchAxesDoNotBroadcastIsANamedNodeError()
    {
        // libtorch aborts on this too (2×1×4 @ 3×4×5), not only on a K mismatch.
        var b = new OnnxGraphBuilder(inputShape: [-1, 3, 224, 224]);
        b.Float("w", Ramp(8 * 27), 8, 3, 3, 3).Long("shape", [2, 1, 4], 3).Float("fc", Ramp(3 * 4 * 5), 3, 4, 5);
        b.Node("Conv", ["x", "w"], "a");
        b.Node("GlobalAveragePool", ["a"], "g");
        b.Node("Reshape", ["g", "shape"], "v");
        b.Node("MatMul", ["v", "fc"], ["logits"], "", "batched");
        string path = Write("batched.onnx", b.Bytes());
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU).Dispose());
        Assert.Equal("batched.onnx: node 'batched' (MatMul): input shapes 2×1×4 and 3×4×5 do not match (their batch axes do not broadcast).", ex.Message);
    }

    [Fact]
    public void LibTorchErrorsAreOneLineWithoutTheCppBacktrace()
    {
        // A conv weight for 5 input channels on a 3-channel photo: libtorch throws (with a backtrace), it does not abort.
        var b = new OnnxGraphBuilder(inputShape: [-1, 3, 224, 224]);
        b.Float("w", Ramp(4 * 5 * 9), 4, 5, 3, 3);
        b.Node("Conv", ["x", "w"], ["a"], "", "stem");
        b.Node("GlobalAveragePool", ["a"], "g");
        b.Node("Flatten", ["g"], "f");
        string path = Write("channels.onnx", b.Bytes());
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU).Dispose());
        Assert.StartsWith("channels.onnx: node 'stem' (Conv) failed on inputs [1×3×224×224], [4×5×3×3]: Given groups=1, weight of size [4, 5, 3, 3]", ex.Message);
        Assert.DoesNotContain("\n", ex.Message);
        Assert.DoesNotContain("frame #", ex.Message);
        Assert.DoesNotContain("Exception raised from", ex.Message);
    }

    [Fact]
    public void WrongShapedModelFailsInCatalogAddAndLoadAndLeavesNoStagingFolder()
    {
        string path = Write("wrong.onnx", Classifier(6));
        string models = _temp.Combine("models");
        Directory.CreateDirectory(models);
        var catalog = new ModelCatalog(models);

        var add = Assert.Throws<ModelCatalogException>(() => catalog.Add(path, new AddModelOptions()));
        Assert.Equal($"wrong.onnx: {WrongShapeError}", add.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(models));

        var load = Assert.Throws<ModelCatalogException>(() => catalog.Load(path, CPU).Dispose());
        Assert.Equal($"wrong.onnx: {WrongShapeError}", load.Message);
    }

    [Fact]
    public void ModelPaddingItsInputToAHugeSizeIsRefusedByTheMemoryBudgetBeforeAllocating()
    {
        // 224 + 2 × 6000 = 12224: a 1×3×12224×12224 float tensor is 1.7 GB, over the 1 GiB probe budget.
        var b = new OnnxGraphBuilder(inputShape: [-1, 3, 224, 224]);
        b.Long("pads", [0, 0, 6000, 6000, 0, 0, 6000, 6000], 8).Float("w", Ramp(8 * 27), 8, 3, 3, 3);
        b.Node("Pad", ["x", "pads"], ["p"], "", "grow");
        b.Node("Conv", ["p", "w"], "a");
        b.Node("GlobalAveragePool", ["a"], "g");
        b.Node("Flatten", ["g"], "f");
        string path = Write("pad.onnx", b.Bytes());

        OnnxImportException? ex = null;
        MemoryUse use = MemoryUse.Of(() => ex = Assert.Throws<OnnxImportException>(() =>
            OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU).Dispose()));
        _output.WriteLine($"huge-pad model refused: {use}");
        Assert.StartsWith("pad.onnx: node 'grow' (Pad): its output (1×3×12224×12224) would take memory to 1710.", ex!.Message);
        Assert.EndsWith(" MB for one photo, over the 1024 MB budget for a model (does the model pad or resize its input to a huge size?).", ex.Message);
        Assert.True(use.PeakRssGrowthBytes < 512L << 20, $"refusing the model cost {use}");
    }

    [Fact]
    public void ConvolutionPaddingItsInputToAHugeSizeIsRefusedFromItsAttributes()
    {
        // libtorch has no meta kernel for convolutions: the bound comes from pads and the weight (8 output channels).
        var b = new OnnxGraphBuilder(inputShape: [-1, 3, 224, 224]);
        b.Float("w", Ramp(8 * 27), 8, 3, 3, 3);
        b.Node("Conv", ["x", "w"], ["a"], "", "grow", Ints("pads", 6000, 6000, 6000, 6000));
        b.Node("GlobalAveragePool", ["a"], "g");
        b.Node("Flatten", ["g"], "f");
        string path = Write("conv-pad.onnx", b.Bytes());
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU).Dispose());
        Assert.StartsWith("conv-pad.onnx: node 'grow' (Conv): its output (1×8×12224×12224) would take memory to ", ex.Message);
    }

    [Fact]
    public void KernelsThatReadValuesOnTheMetaDeviceLeaveTheShapeUnknownInsteadOfCrashing()
    {
        // A float tensor read for its values (as a hostile model can make Reshape or Pad do) is on meta there.
        OnnxKernel readsValues = inputs => [torch.zeros(OnnxNodeContext.Longs(inputs[0]!).Length)];
        using var scope = NewDisposeScope();
        Assert.Null(OnnxMemoryBudget.OutputShapesOnMeta(readsValues, [torch.ones(3)], out _));
        long[][]? shapes = OnnxMemoryBudget.OutputShapesOnMeta(inputs => [torch.nn.functional.pad(inputs[0]!, [1, 1])], [torch.ones(1, 3, 4)], out long bytes);
        Assert.Equal([1L, 3, 6], Assert.Single(shapes!));
        Assert.Equal(18 * 4, bytes);
    }

    [Fact]
    public void ProbeBudgetIsConfigurable()
    {
        string path = Write("ok.onnx", Classifier(8));
        // 1×3×224×224 floats alone are 588 KB; 100 KB cannot hold the probe.
        var ex = Assert.Throws<OnnxImportException>(() =>
            OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU, options: new OnnxImportOptions { ProbeMemoryBytes = 100_000 }).Dispose());
        Assert.Contains("over the 0.1 MB budget", ex.Message);
        using OnnxCamModel model = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU);
        Assert.Equal(int.MaxValue, model.MaxBatchSize);
    }

    public static TheoryData<string> BatchOneOnlyGraphs => ["fixed-batch-input", "reshape-to-vector"];

    [Theory]
    [MemberData(nameof(BatchOneOnlyGraphs))]
    public void BatchOneOnlyGraphExplainsThreePhotosOneAtATime(string kind)
    {
        byte[] bytes;
        if (kind == "fixed-batch-input")
        {
            bytes = Classifier(8, inputShape: [1, 3, 224, 224]);
        }
        else
        {
            // Reshape to [-1] folds the batch into the features: a batch of two reaches the matmul as 16, not 2×8.
            var b = new OnnxGraphBuilder(inputShape: [-1, 3, 224, 224]);
            b.Float("w", Ramp(8 * 27), 8, 3, 3, 3).Float("fc", Ramp(8 * 5), 8, 5).Long("flat", [-1], 1).Long("zero", [0], 1);
            b.Node("Conv", ["x", "w"], ["a"], "", "conv", Ints("strides", 4, 4));
            b.Node("Relu", ["a"], "r");
            b.Node("GlobalAveragePool", ["r"], "g");
            b.Node("Reshape", ["g", "flat"], "v");
            b.Node("MatMul", ["v", "fc"], "l");
            b.Node("Unsqueeze", ["l", "zero"], "logits");
            bytes = b.Bytes();
        }
        string path = Write($"{kind}.onnx", bytes);
        using OnnxCamModel model = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU);
        Assert.Equal(1, model.MaxBatchSize);

        long before = LiveTensors.OnThisThread();
        var request = new ExplainRequest(["gradcam", "scorecam", "ablationcam"], new ClassSelection.TopK(1));
        using (var scope = NewDisposeScope())
        {
            Tensor photos = torch.linspace(-1, 1, 3 * 3 * 224 * 224).reshape(3, 3, 224, 224).mul(torch.tensor(new float[] { 1, -2, 3 }).reshape(3, 1, 1, 1)).sin();
            IReadOnlyList<PhotoExplanation> together = CamExplainer.Explain(model, photos, request);
            Assert.Equal(3, together.Count);
            for (int i = 0; i < 3; i++)
            {
                // Independent reference: each photo explained alone, as a batch of one.
                PhotoExplanation alone = Assert.Single(CamExplainer.Explain(model, photos.narrow(0, i, 1), request));
                Assert.Equal(alone.TopPredictions.Select(p => p.ClassIndex), together[i].TopPredictions.Select(p => p.ClassIndex));
                Assert.Equal(alone.Maps.Count, together[i].Maps.Count);
                for (int m = 0; m < alone.Maps.Count; m++)
                    Assert.Equal(alone.Maps[m].Map.Raw, together[i].Maps[m].Map.Raw);
            }
        }
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void StaleStagingFoldersAreRemovedWhenACatalogOpensButNotOnesBeingWritten()
    {
        string models = _temp.Combine("models");
        string stale = Path.Combine(models, ".adding-crashed-0123");
        string live = Path.Combine(models, ".adding-running-4567");
        Directory.CreateDirectory(stale);
        File.WriteAllText(Path.Combine(stale, "model.onnx"), "half a model");
        Directory.CreateDirectory(live);
        // The lock a running 'models add' holds on its work folder.
        using (new FileStream(live + ".lock", FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            _ = new ModelCatalog(models);
            Assert.False(Directory.Exists(stale));
            Assert.True(Directory.Exists(live));
        }
        _ = new ModelCatalog(models);
        Assert.False(Directory.Exists(live));
        Assert.Empty(Directory.EnumerateFileSystemEntries(models));
    }
}
