using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// A looser, fully independent cross-check: ONNX Runtime executes the int8 graph with real int8 kernels (rounding every
/// activation to its quantisation grid), CamStudio runs the same graph in float32. Their classes must agree; the logits
/// differ by the accumulated int8 rounding only.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxRuntimeCrossCheckTests : IClassFixture<SharedOnnxModelFixture>
{
    private static readonly string[] Photos = ["both.png", "coffee.png", "chelsea.png", "grace_hopper.bmp"];

    private readonly OnnxCamModel _model;
    private readonly ITestOutputHelper _output;

    public OnnxRuntimeCrossCheckTests(SharedOnnxModelFixture fixture, ITestOutputHelper output)
    {
        _model = fixture.Model;
        _output = output;
    }

    [Fact]
    public void OnnxRuntimeOnTheInt8GraphAgreesOnTheTopClasses()
    {
        using var scope = NewDisposeScope();
        Tensor photos = OnnxTestSupport.Photos(Photos);
        float[] pixels = photos.data<float>().ToArray();
        using SessionOptions options = OnnxRuntimeReference.ExactOptions();
        using var session = new InferenceSession(SharedResources.Model, options);
        var input = new DenseTensor(pixels, [Photos.Length, 3, 224, 224]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        Tensor runtime = torch.tensor(results.First().AsEnumerable<float>().ToArray(), [Photos.Length, 1000]);

        using ModelRun run = _model.Run(photos, _model.AutoLayer, trackGradients: false);
        Tensor ours = run.Logits;
        float difference = (runtime - ours).abs().max().item<float>();
        float meanDifference = (runtime - ours).abs().mean().item<float>();
        Tensor centredRuntime = runtime - runtime.mean([1], keepdim: true), centredOurs = ours - ours.mean([1], keepdim: true);
        float correlation = ((centredRuntime * centredOurs).sum(1) / (centredRuntime.norm(1) * centredOurs.norm(1))).min().item<float>();
        _output.WriteLine($"CamStudio float32 vs ONNX Runtime int8 logits: max |Δ| {difference:F3}, mean |Δ| {meanDifference:F3}, " +
                          $"lowest per-photo correlation {correlation:F4} (logit quantisation step 0.160)");
        for (int i = 0; i < Photos.Length; i++)
        {
            Tensor p = runtime[i].softmax(0), q = ours[i].softmax(0);
            long top = runtime[i].argmax().item<long>();
            _output.WriteLine($"{Photos[i]}: ONNX Runtime {OnnxTestSupport.ImageNetLabels[(int)top]} {p[top].item<float>():F2}; " +
                              $"CamStudio {OnnxTestSupport.ImageNetLabels[(int)ours[i].argmax().item<long>()]} {q.max().item<float>():F2}");
            Assert.Equal(top, ours[i].argmax().item<long>());
            Assert.Contains(ours[i].argmax().item<long>(), runtime[i].topk(3).indexes.data<long>().ToArray());
        }
        // int8 rounding accumulates over 52 convolutions; the logits still agree closely as a whole.
        Assert.True(correlation > 0.97f, $"correlation {correlation}");
        Assert.True(meanDifference < 0.5f, $"mean |Δlogit| {meanDifference}");
    }

    [Fact]
    public void EveryQuantisedLayerReproducesOnnxRuntimeFromTheSameInput()
    {
        // End to end, one-LSB rounding ties compound over 52 layers; layer by layer the semantics must agree exactly.
        // ONNX Runtime runs the whole graph once with every quantised tensor exposed; then each QLinear node runs alone
        // in CamStudio (rounding simulated) on ONNX Runtime's own (dequantised) inputs, and its re-quantised output is
        // compared with ONNX Runtime's uint8 output.
        ModelProto proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(SharedResources.Model));
        var initializers = proto.Graph.Initializer.ToDictionary(t => t.Name);
        List<NodeProto> layers = proto.Graph.Node.Where(n => n.OpType.StartsWith("QLinear", StringComparison.Ordinal)).ToList();
        foreach (string tensor in proto.Graph.Node.Where(n => n.OpType != "DequantizeLinear").SelectMany(n => n.Output).Distinct())
            proto.Graph.Output.Add(new ValueInfoProto { Name = tensor });
        using var scope = NewDisposeScope();
        Tensor photo = OnnxTestSupport.Photo("both.png");
        using SessionOptions options = OnnxRuntimeReference.ExactOptions();
        using var session = new InferenceSession(proto.ToByteArray(), options);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor(photo.data<float>().ToArray(), [1, 3, 224, 224]))]);
        var quantised = results.Where(r => r.ElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.UInt8).ToDictionary(
            r => r.Name, r => (Values: r.AsEnumerable<byte>().Select(b => (float)b).ToArray(), Shape: r.AsTensor<byte>().Dimensions.ToArray().Select(d => (long)d).ToArray()));
        float Scalar(string name) => TorchVisionReference.Floats(initializers[name])[0];

        long compared = 0, differing = 0;
        int worst = 0;
        foreach (NodeProto node in layers)
        {
            // Runtime operands sit at 0 (and 3 for two-operand ops), each followed by its scale and zero point.
            int[] operands = node.OpType == "QLinearGlobalAveragePool" || node.OpType == "QLinearConv" ? [0] : [0, 3];
            int outputScale = node.OpType == "QLinearGlobalAveragePool" ? 3 : 6;
            var graph = new OnnxGraphBuilder(opset: 12);
            NodeProto copy = node.Clone();
            copy.Input[0] = "x";
            foreach (string constant in node.Input.Where(initializers.ContainsKey).Distinct())
                graph.Raw(initializers[constant]);
            Tensor Real(int operand)
            {
                (float[] values, long[] shape) = quantised[node.Input[operand]];
                float s = Scalar(node.Input[operand + 1]), z = Scalar(node.Input[operand + 2]);
                return torch.tensor(values.Select(q => (q - z) * s).ToArray(), shape);
            }
            foreach (int operand in operands.Skip(1).Where(o => !initializers.ContainsKey(node.Input[o])))
                graph.Float(node.Input[operand], Real(operand).data<float>().ToArray(), quantised[node.Input[operand]].Shape);
            using OnnxGraphModule single = graph.RawNode(copy).Output(node.Output[0]).Load(new OnnxImportOptions(SimulateRounding: true));
            using var noGrad = torch.no_grad();
            float so = Scalar(node.Input[outputScale]), zo = Scalar(node.Input[outputScale + 1]);
            float[] ours = (single.call(Real(0)) / so + zo).round().flatten().data<float>().ToArray();
            float[] expected = quantised[node.Output[0]].Values;
            Assert.Equal(expected.Length, ours.Length);
            for (int i = 0; i < ours.Length; i++)
            {
                int d = (int)Math.Abs(ours[i] - expected[i]);
                differing += d > 0 ? 1 : 0;
                worst = Math.Max(worst, d);
            }
            compared += ours.Length;
        }
        _output.WriteLine($"{layers.Count} quantised layers, {compared} values: {differing} differ from ONNX Runtime, by at most {worst} LSB");
        Assert.Equal(65, layers.Count);   // 52 QLinearConv, 11 QLinearAdd, the pool, the classifier's QLinearMatMul
        Assert.True(worst <= 1, $"a layer differs by {worst} LSB");
        Assert.True(differing <= compared / 100_000, $"{differing} of {compared} values differ");
    }
}
