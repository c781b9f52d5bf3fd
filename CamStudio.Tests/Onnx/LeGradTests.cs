using System.Text.Json;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Methods;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// LeGrad on imported ViTs: equal to TorchCAM's <c>LeGrad</c> on the same weights (Onnx/Fixtures/legrad-references.json,
/// made by scripts/legrad-references.py), its per-block gradients equal finite differences of a head written out by hand,
/// and refused, with the reason, where the graph's attention cannot be scored block by block.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LeGradTests
{
    private readonly ITestOutputHelper _output;

    public LeGradTests(ITestOutputHelper output) => _output = output;

    private static OnnxCamModel Load(string file) =>
        OnnxCamModel.Load(GeneratedModels.File(file), labels: null, PreprocessingSpec.ImageNet(), CPU, sizeFromModel: true);

    /// <summary>TokenGridTests.Image(): a smooth, irregular 1×3×32×32 input without RNG.</summary>
    private static Tensor Image()
    {
        Tensor i = torch.arange(3 * 32 * 32, dtype: ScalarType.Float32).reshape(1, 3, 32, 32);
        return ((i * 0.0137f).sin() + (i * 0.00071f).cos() * 0.5f).mul(1.5f);
    }

    private static JsonElement References()
    {
        string json = Repository.File(Path.Combine("CamStudio.Tests", "Onnx", "Fixtures", "legrad-references.json"));
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
    }

    private static ICamMethod LeGradOver(int blocks) =>
        new LeGrad().WithOptions(MethodOptionValues.Resolve("legrad", new LeGrad().Options,
            new Dictionary<string, string> { ["blocks"] = blocks.ToString(System.Globalization.CultureInfo.InvariantCulture) }));

    [Theory]
    [InlineData("vit_tiny_opset17.onnx", 0)]
    [InlineData("vit_tiny_opset17.onnx", 1)]
    [InlineData("vit_tiny_opset17.onnx", 2)]
    [InlineData("vit_tiny_opset17.onnx", 3)]
    [InlineData("vit_tiny_opset12.onnx", 0)]
    [InlineData("vit_tiny_opset12.onnx", 3)]
    public void LeGradOnATinyVitEqualsTorchCamsLeGrad(string file, int index)
    {
        JsonElement root = References();
        JsonElement reference = root.GetProperty("references")[index];
        int target = reference.GetProperty("class").GetInt32();
        int blocks = reference.GetProperty("blocks").GetInt32();
        float[] expected = reference.GetProperty("map").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        float[] pytorchLogits = root.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();

        using var scope = NewDisposeScope();
        using OnnxCamModel model = Load(file);
        Assert.True(model.AttentionBlocksUnavailable is null, model.AttentionBlocksUnavailable);
        Assert.Null(MethodApplicability.WhyNot(new LeGrad(), model, model.AutoLayer));
        Tensor x = Image();
        using (ModelRun run = model.Run(x, model.AutoLayer, trackGradients: false))
            OnnxRuntimeOperatorTests.AssertSame(torch.tensor(pytorchLogits).reshape(1, -1), run.Logits, $"{file} logits vs PyTorch");
        CamMap map = CamExplainer.Explain(model, x, [LeGradOver(blocks)], model.AutoLayer, new ClassSelection.Indices([target]),
            pacing: null, CancellationToken.None, out _).Single().Maps.Single().Map;

        Assert.Equal((4, 4), (map.Width, map.Height));
        double r = Pearson(expected, map.Raw);
        double worst = expected.Zip(map.Raw, (e, a) => Math.Abs(e - a)).Max() / expected.Max(Math.Abs);
        _output.WriteLine($"{file} class {target}, last {blocks} block(s): Pearson r = {r:F5}, max |Δ| = {worst:E2} of the map's peak vs TorchCAM");
        Assert.True(r >= 0.99, $"Pearson r = {r:F4} with TorchCAM's LeGrad");
        Assert.True(worst < 1e-3, $"largest difference {worst:E2} of the peak");
    }

    /// <summary>
    /// ∂s_l/∂A_l against central differences: A_l perturbed inside the graph (the rest of the forward unchanged), s_l
    /// computed by hand from block l's output tokens with the graph's final LayerNorm and Gemm weights.
    /// </summary>
    [Fact]
    public void EachBlocksGradientIsTheFiniteDifferenceOfItsOwnHandComputedScore()
    {
        using var scope = NewDisposeScope();
        using OnnxCamModel model = Load("vit_tiny_opset17.onnx");
        OnnxGraphModule graph = model.Graph;
        Tensor x = Image();
        const int target = 3;
        using AttentionBlocksRun run = model.RunAttentionBlocks(x);
        Assert.Equal(2, run.Blocks.Count);
        Assert.Equal((1, 4L, 4L), (run.PrefixTokens, run.GridHeight, run.GridWidth));
        AttentionGradients gradients = AttentionGradients.Of(run, torch.tensor(new long[] { target }), retainGraph: false);

        OnnxGraphNode norm = graph.Nodes.Last(n => n.OpType == "LayerNormalization");
        OnnxGraphNode gemm = graph.Nodes.Last(n => n.OpType == "Gemm");
        Tensor gamma = graph.ConstantOf(norm.Inputs[1])!, beta = graph.ConstantOf(norm.Inputs[2])!;
        Tensor weight = graph.ConstantOf(gemm.Inputs[1])!, bias = graph.ConstantOf(gemm.Inputs[2])!;
        double epsilon = norm.Attributes["epsilon"];
        string[] softmaxes = graph.Nodes.Where(n => n.OpType == "Softmax").Select(n => n.Outputs[0]).ToArray();
        string[] outputs = ["/encoder/layers/encoder_layer_0/Add_1_output_0", "/encoder/layers/encoder_layer_1/Add_1_output_0"];

        using IDisposable noGrad = torch.no_grad();
        var rng = new Random(5);
        for (int block = 0; block < 2; block++)
        {
            Tensor probabilities = run.Blocks[block].Probabilities.detach();
            for (int trial = 0; trial < 8; trial++)
            {
                // torch.nn.MultiheadAttention's probabilities: (photos · heads)×queries×keys.
                long[] at = [rng.Next(2), rng.Next(17), rng.Next(17)];
                const float step = 1e-2f;
                double plus = Score(probabilities, at, step), minus = Score(probabilities, at, -step);
                double finite = (plus - minus) / (2 * step);
                double analytic = gradients.PerBlock[block][0, at[0], at[1], at[2]].item<float>();
                _output.WriteLine($"block {block} A[{string.Join(",", at)}]: autograd {analytic:E4}, finite difference {finite:E4}");
                Assert.True(Math.Abs(analytic - finite) <= 2e-4 + 0.02 * Math.Abs(finite), $"block {block} at [{string.Join(",", at)}]: {analytic} vs {finite}");
            }

            double Score(Tensor a, long[] index, float delta)
            {
                Tensor changed = a.clone();
                changed[index[0], index[1], index[2]] += delta;
                Tensor? tokens = null;
                using GraphRun perturbed = graph.Execute(x, capture: null, gradientsFromCapture: false, replacement: (softmaxes[block], changed),
                    observe: (name, value) =>
                    {
                        if (name == outputs[block])
                            tokens = value.alias().DetachFromDisposeScope();
                    });
                using Tensor mean = tokens!.mean([1]);
                tokens.Dispose();
                Tensor centred = mean - mean.mean([1], keepdim: true);
                Tensor normed = centred / (centred.pow(2).mean([1], keepdim: true) + epsilon).sqrt() * gamma + beta;
                return (normed.matmul(weight.t()) + bias)[0, target].item<float>();
            }
        }
    }

    [Fact]
    public void LeGradAveragesTheReluOfEachBlocksGradientOverHeadsAndQueriesAtThePatchKeys()
    {
        using var scope = NewDisposeScope();
        // Two blocks, one photo, 2 heads, 1 prefix token + a 1×2 grid: keys 0 (class), 1, 2.
        Tensor first = torch.tensor(new float[] { 1, -2, 3, 0, 4, -1, 5, 6, -7, 2, 2, 2, 0, -1, 1, 3, 3, -3 }).reshape(1, 2, 3, 3);
        Tensor second = torch.ones(1, 2, 3, 3);
        var inputs = new CamInputs(torch.zeros(1, 1, 1, 2), null, torch.tensor(new long[] { 0 }), null,
            Attention: new AttentionGradients([first, second], PrefixTokens: 1, GridHeight: 1, GridWidth: 2));
        // Block 1, key 1: ReLU over (h, q) of [-2, 4, 6, 2, -1, 3] → [0, 4, 6, 2, 0, 3], mean 15/6; key 2: [3, 0, 0, 2, 1, 0] → 1.
        float[] expectedAll = [(15f / 6 + 1) / 2, (1 + 1) / 2f];
        using Tensor all = new LeGrad().Compute(inputs);
        Assert.Equal(expectedAll, all.data<float>().ToArray(), new FloatTolerance(1e-6f));
        using Tensor last = LeGradOver(1).Compute(inputs);
        Assert.Equal([1f, 1f], last.data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Throws<ArgumentException>(() => LeGradOver(3).Compute(inputs));
    }

    [Theory]
    [InlineData("swin_tiny_opset17.onnx", "windowed attention, as in Swin and MaxViT")]
    [InlineData("maxvit_tiny_opset17.onnx", "windowed attention")]
    [InlineData("convnext_tiny_opset17.onnx", "it has no attention softmax")]
    public void IsNotOfferedWhereTheGraphsAttentionCannotBeScoredBlockByBlock(string file, string reason)
    {
        using var scope = NewDisposeScope();
        using OnnxCamModel model = Load(file);
        string? why = MethodApplicability.WhyNot(new LeGrad(), model, model.AutoLayer);
        _output.WriteLine($"{file}: {why}");
        Assert.NotNull(why);
        Assert.StartsWith("Method legrad needs a vision transformer's attention blocks", why);
        Assert.Contains(reason, why);
        Assert.False(model.Capabilities.HasFlag(ModelCapabilities.AttentionBlocks));
    }

    [Fact]
    public void FreesEveryTensorItMakes()
    {
        using OnnxCamModel model = Load("vit_tiny_opset17.onnx");
        using (NewDisposeScope())
            ExplainOnce(model);
        long before = LiveTensors.OnThisThread();
        using (NewDisposeScope())
            ExplainOnce(model);
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    private static void ExplainOnce(OnnxCamModel model)
    {
        PhotoExplanation explanation = CamExplainer.Explain(model, Image(), new ExplainRequest(["legrad", "gradcam"], new ClassSelection.TopK(2))).Single();
        Assert.Equal(4, explanation.Maps.Count);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(float value) => 0;
    }

    private static double Pearson(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b).Sum(p => (p.First - ma) * (p.Second - mb));
        double va = a.Sum(v => (v - ma) * (v - ma)), vb = b.Sum(v => (v - mb) * (v - mb));
        Assert.True(va > 0 && vb > 0, "a flat map has no correlation to check");
        return cov / Math.Sqrt(va * vb);
    }
}
