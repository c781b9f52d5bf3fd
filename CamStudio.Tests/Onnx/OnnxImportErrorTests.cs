using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>Every way an .onnx file can be wrong ends in one <see cref="OnnxImportException"/> that names the file and the problem.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxImportErrorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("camstudio-onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static OnnxImportException ImportFails(string path) =>
        Assert.Throws<OnnxImportException>(() =>
            OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU).Dispose());

    [Fact]
    public void TruncatedModelIsReportedAsDamaged()
    {
        byte[] whole = File.ReadAllBytes(SharedResources.Model);
        string path = Write("half.onnx", whole[..(whole.Length / 2)]);
        long before = LiveTensors.OnThisThread();
        var ex = ImportFails(path);
        Assert.StartsWith("half.onnx ", ex.Message);
        Assert.Contains("truncated", ex.Message);
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void EmptyFileIsReportedAsEmpty()
    {
        var ex = ImportFails(Write("empty.onnx", []));
        Assert.Equal("empty.onnx is empty (0 bytes), not an ONNX model.", ex.Message);
    }

    [Fact]
    public void MalformedBytesAreReportedAsNotAnOnnxModel()
    {
        var ex = ImportFails(Write("photo.onnx", File.ReadAllBytes(SharedResources.Image("both.png"))));
        Assert.StartsWith("photo.onnx is not", ex.Message);
        var text = ImportFails(Write("notes.onnx", "just some text, not a model"u8.ToArray()));
        Assert.StartsWith("notes.onnx is not", text.Message);
    }

    [Fact]
    public void MissingFileIsReportedByName()
    {
        var ex = ImportFails(Path.Combine(_folder, "nowhere.onnx"));
        Assert.StartsWith("nowhere.onnx: cannot read the file", ex.Message);
    }

    [Fact]
    public void EveryUnsupportedOperatorIsListedWithItsNodesBeforeAnythingRuns()
    {
        byte[] bytes = new OnnxGraphBuilder()
            .Node("LSTM", ["x"], ["h"], "", "lstm_1")
            .Node("Relu", ["h"], ["r"], "", "relu_0")
            .Node("Loop", ["r"], ["l0"], "", "loop_0")
            .Node("Loop", ["l0"], ["l3"], "", "loop_3")
            .Node("Frobnicate", ["l3"], ["y"], "com.example", "frob")
            .Bytes();
        var ex = ImportFails(Write("model.onnx", bytes));
        Assert.Equal("model.onnx uses operators CamStudio cannot run: LSTM (node lstm_1), Loop (nodes loop_0, loop_3), " +
                     "com.example.Frobnicate (node frob).", ex.Message);
    }

    [Fact]
    public void TransformerOperatorsAreNotListedAmongTheMissingOnes()
    {
        byte[] bytes = new OnnxGraphBuilder(opset: 20).Float("s", [1f, 1f, 1f], 3)
            .Node("LayerNormalization", ["x", "s"], ["n"], "", "ln")
            .Node("Gelu", ["n"], ["g"], "", "gelu")
            .Node("NonMaxSuppression", ["g"], ["boxes"], "", "nms")
            .Node("Einsum", ["boxes"], ["e"], "", "einsum", String("equation", "ij->ji"))
            .Node("Unique", ["e"], ["y"], "", "unique_9")
            .Bytes();
        var ex = ImportFails(Write("detector.onnx", bytes));
        Assert.Equal("detector.onnx uses operators CamStudio cannot run: NonMaxSuppression (node nms), Unique (node unique_9).", ex.Message);
    }

    [Fact]
    public void DanglingInputsAreListedWithTheNodesThatReadThem()
    {
        byte[] bytes = new OnnxGraphBuilder()
            .Node("Conv", ["x", "conv.weight"], ["c"], "", "conv_0")
            .Node("Add", ["c", "missing_bias"], ["y"], "", "add_1")
            .Bytes();
        var ex = ImportFails(Write("dangling.onnx", bytes));
        Assert.Equal("dangling.onnx refers to tensors that no initializer, input or node provides: " +
                     "'conv.weight' (read by node conv_0), 'missing_bias' (read by node add_1).", ex.Message);
    }

    [Fact]
    public void ModelWhoseFixedInputSizeDiffersFromThePreprocessingIsRejectedAtLoad()
    {
        byte[] bytes = new OnnxGraphBuilder(inputShape: [1, 3, 32, 32])
            .Node("GlobalAveragePool", ["x"], "g").Node("Flatten", ["g"], "y").Bytes();
        var ex = ImportFails(Write("tiny.onnx", bytes));
        Assert.Contains("tiny.onnx takes input 'x' of shape 1×3×32×32", ex.Message);
        Assert.Contains("N×3×224×224", ex.Message);
    }

    [Fact]
    public void LabelCountThatDiffersFromTheClassCountIsRejected()
    {
        byte[] bytes = new OnnxGraphBuilder(inputShape: [-1, 3, 224, 224])
            .Float("w", Enumerable.Repeat(0.1f, 15).ToArray(), 5, 3).Float("b", new float[5], 5)
            .Node("GlobalAveragePool", ["x"], "g").Node("Flatten", ["g"], "f").Node("Gemm", ["f", "w", "b"], "y", Int("transB", 1)).Bytes();
        string path = Write("five.onnx", bytes);
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(path, ["a", "b"], PreprocessingSpec.ImageNet(), CPU).Dispose());
        Assert.Equal("five.onnx outputs 5 classes but 2 labels were given.", ex.Message);

        // The same file with matching labels imports, and its GAP → Gemm head is found.
        using OnnxCamModel model = OnnxCamModel.Load(path, ["a", "b", "c", "d", "e"], PreprocessingSpec.ImageNet(), CPU);
        Assert.Equal("x", model.AutoLayer);
        Assert.NotNull(model.HeadAfter("x"));
    }

    [Fact]
    public void BadAttributeIsReportedWithTheNode()
    {
        byte[] bytes = new OnnxGraphBuilder().Float("w", new float[9], 1, 1, 3, 3)
            .Node("Conv", ["x", "w"], ["y"], "", "conv_7", String("auto_pad", "SOMETIMES")).Bytes();
        var ex = ImportFails(Write("odd.onnx", bytes));
        Assert.Equal("odd.onnx: node conv_7 (Conv) cannot be imported: auto_pad 'SOMETIMES' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID.", ex.Message);
    }
}
