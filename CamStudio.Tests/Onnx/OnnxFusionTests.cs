using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>The exporters' op-by-op GELU and Linear run as one kernel, with the values and gradients of the chains they replace.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxFusionTests
{
    private static readonly OnnxImportOptions Unfused = new() { Fuse = false };
    private readonly ITestOutputHelper _output;

    public OnnxFusionTests(ITestOutputHelper output) => _output = output;

    private static float[] Wave(int n, float phase) => Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.61f + phase)).ToArray();

    /// <summary>x (N×5×4) → MatMul W (4×6) + b → GELU as torch.onnx writes it → MatMul V (6×3) + c, operands in both orders.</summary>
    private static OnnxGraphBuilder Mlp(bool erfAlsoAnOutput = false)
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder(opset: 17, inputShape: [-1, 5, 4])
            .Float("w", Wave(24, 0.1f), 4, 6).Float("b", Wave(6, 0.7f), 6)
            .Float("v", Wave(18, 1.3f), 6, 3).Float("c", Wave(3, 2.1f), 3)
            .Float("sqrt2", [MathF.Sqrt(2)]).Float("one", [1f]).Float("half", [0.5f])
            .Node("MatMul", ["x", "w"], "xw").Node("Add", ["xw", "b"], "h")
            .Node("Div", ["h", "sqrt2"], "scaled").Node("Erf", ["scaled"], "erf").Node("Add", ["one", "erf"], "erf1")
            .Node("Mul", ["erf1", "h"], "gated").Node("Mul", ["gated", "half"], "g")
            .Node("MatMul", ["g", "v"], "gv").Node("Add", ["c", "gv"], "y")
            .Output("y");
        return erfAlsoAnOutput ? builder.Output("erf") : builder;
    }

    [Fact]
    public void TheGeluAndBothLinearsBecomeThreeNodesWithTheSameValuesAndGradients()
    {
        using var scope = NewDisposeScope();
        using OnnxGraphModule fused = Mlp().Load();
        using OnnxGraphModule plain = Mlp().Load(Unfused);
        Assert.Equal(["Gemm", "Gelu", "Gemm"], fused.Nodes.Select(n => n.OpType));
        Assert.Equal(9, plain.Nodes.Count);
        Assert.Equal(["h", "g", "y"], fused.Nodes.Select(n => n.Outputs[0]));

        foreach (long batch in new long[] { 1, 3 })
        {
            Tensor x = torch.tensor(Wave((int)batch * 20, 0.3f)).reshape(batch, 5, 4).mul(2);
            (Tensor y, Tensor grad) Run(OnnxGraphModule module)
            {
                Tensor input = x.detach().requires_grad_(true);
                Tensor y = module.call(input);
                return (y, torch.autograd.grad([y.square().sum()], [input])[0]);
            }
            (Tensor yFused, Tensor gFused) = Run(fused);
            (Tensor yPlain, Tensor gPlain) = Run(plain);
            Assert.True(torch.allclose(yPlain, yFused, 1e-5, 1e-6), $"batch {batch}: outputs differ by {(yPlain - yFused).abs().max().item<float>()}");
            Assert.True(torch.allclose(gPlain, gFused, 1e-5, 1e-6), $"batch {batch}: gradients differ by {(gPlain - gFused).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void AChainWhoseInnerTensorIsReadElsewhereIsLeftAsItIs()
    {
        using var scope = NewDisposeScope();
        using OnnxGraphModule fused = Mlp(erfAlsoAnOutput: true).Load();
        // The Erf output is a graph output, so the GELU stays op by op; the Linears still fuse.
        Assert.Equal(["Gemm", "Div", "Erf", "Add", "Mul", "Mul", "Gemm"], fused.Nodes.Select(n => n.OpType));
        Assert.Contains(fused.TensorsInOrder, t => t.Tensor == "erf");
    }

    [Fact]
    public void ADivisorOtherThanTheSquareRootOfTwoIsNoGelu()
    {
        using var scope = NewDisposeScope();
        using OnnxGraphModule module = new OnnxGraphBuilder(opset: 17)
            .Float("d", [1.5f]).Float("one", [1f]).Float("half", [0.5f])
            .Node("Div", ["x", "d"], "s").Node("Erf", ["s"], "e").Node("Add", ["e", "one"], "e1")
            .Node("Mul", ["x", "e1"], "m").Node("Mul", ["m", "half"], "y").Load();
        Assert.DoesNotContain(module.Nodes, n => n.OpType == "Gelu");
    }

    [Theory]
    [InlineData("vit_tiny_opset17.onnx")]
    [InlineData("swin_tiny_opset17.onnx")]
    public void ATinyTransformerExportFusesEveryMlpAndKeepsItsLogitsAndGradients(string file)
    {
        using var scope = NewDisposeScope();
        byte[] bytes = File.ReadAllBytes(GeneratedModels.File(file));
        using OnnxGraphModule fused = OnnxGraphModule.Load(bytes, file, CPU);
        using OnnxGraphModule plain = OnnxGraphModule.Load(bytes, file, CPU, Unfused);
        int erfs = plain.Nodes.Count(n => n.OpType == "Erf");
        int gelus = fused.Nodes.Count(n => n.OpType == "Gelu");
        _output.WriteLine($"{file}: {plain.Nodes.Count} nodes → {fused.Nodes.Count}; {erfs} Erf → {gelus} Gelu");
        Assert.True(erfs > 0);
        Assert.Equal(erfs, gelus);
        Assert.DoesNotContain(fused.Nodes, n => n.OpType == "Erf");
        Assert.True(fused.Nodes.Count(n => n.OpType == "Gemm") > plain.Nodes.Count(n => n.OpType == "Gemm"));

        Tensor x = torch.arange(2 * 3 * 32 * 32, dtype: ScalarType.Float32).reshape(2, 3, 32, 32).mul(0.0137).sin();
        (Tensor logits, Tensor grad) Run(OnnxGraphModule module)
        {
            Tensor input = x.detach().requires_grad_(true);
            Tensor logits = module.call(input);
            return (logits, torch.autograd.grad([logits[.., 0].sum()], [input])[0]);
        }
        (Tensor lFused, Tensor gFused) = Run(fused);
        (Tensor lPlain, Tensor gPlain) = Run(plain);
        float logitError = (lFused - lPlain).abs().max().item<float>() / lPlain.abs().max().item<float>();
        float gradError = (gFused - gPlain).abs().max().item<float>() / gPlain.abs().max().item<float>();
        _output.WriteLine($"  largest difference: logits {logitError:E2}, input gradient {gradError:E2} (relative to the largest)");
        Assert.True(logitError < 1e-5, $"logits differ by {logitError:E2} of the largest");
        Assert.True(gradError < 1e-4, $"gradients differ by {gradError:E2} of the largest");
    }
}
