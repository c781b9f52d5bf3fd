using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>Later runs take the graph's shape arithmetic from earlier ones only when every shape it came from is the same.</summary>
public sealed class OnnxShapeMemoTests
{
    /// <summary>The dynamic flatten exporters emit (Shape → Gather → Unsqueeze → Concat → Reshape), then a weight.</summary>
    private static OnnxGraphBuilder Flatten() => new OnnxGraphBuilder(opset: 12)
        .Long("zero", [0]).Long("minus_one", [-1], 1)
        .Float("w", Enumerable.Range(0, 8 * 3).Select(i => MathF.Sin(i * 0.7f)).ToArray(), 8, 3)
        .Node("Shape", ["x"], "shape")
        .Node("Gather", ["shape", "zero"], "batch", Int("axis", 0))
        .Node("Unsqueeze", ["batch"], "batch_1d", Ints("axes", 0))
        .Node("Concat", ["batch_1d", "minus_one"], "target", Int("axis", 0))
        .Node("Reshape", ["x", "target"], "flat")
        .Node("MatMul", ["flat", "w"], "y");

    private static Tensor Input(long batch, float phase) =>
        torch.arange(batch * 8, dtype: ScalarType.Float32).reshape(batch, 2, 2, 2).mul(0.37).add(phase).sin();

    [Fact]
    public void ASecondRunOnTheSameShapeReusesEveryShapeNodeAndGivesTheSameOutput()
    {
        using var scope = NewDisposeScope();
        using OnnxGraphModule memo = Flatten().Load();
        using OnnxGraphModule plain = Flatten().Load(new OnnxImportOptions { ReuseShapeArithmetic = false });
        using var noGrad = torch.no_grad();
        Assert.Equal(4, memo.ShapeArithmeticNodes); // Shape, Gather, Unsqueeze, Concat
        Assert.Equal(0, plain.ShapeArithmeticNodes);

        foreach ((long batch, float phase, int reused) in new[] { (3L, 0f, 0), (3L, 1f, 4), (5L, 2f, 0), (1L, 3f, 0), (3L, 4f, 4), (5L, 5f, 4) })
        {
            Tensor x = Input(batch, phase);
            Tensor expected = plain.call(x), actual = memo.call(x);
            Assert.Equal([batch, 3L], actual.shape);
            Assert.Equal(0, (expected - actual).abs().max().item<float>());
            Assert.Equal(reused, memo.LastRunReusedNodes);
        }
    }

    [Fact]
    public void AShapeThatDependsOnDataIsReadAgainEveryRun()
    {
        // x holds two sizes; ConstantOfShape makes a tensor of that shape and Shape reads it back: the same input shape
        // gives a different Shape each run, so nothing downstream of it may be reused. The Concat also reads x's own
        // shape, which is the same every run: reused, and handed to the Concat that must run.
        using var scope = NewDisposeScope();
        using OnnxGraphModule module = new OnnxGraphBuilder(opset: 13)
            .Node("Shape", ["x"], "own")
            .Node("Cast", ["x"], "sizes", Int("to", 7))
            .Node("ConstantOfShape", ["sizes"], "made")
            .Node("Shape", ["made"], "shape")
            .Node("Concat", ["own", "shape"], "both", Int("axis", 0))
            .Node("Cast", ["both"], "y", Int("to", 1))
            .Load();
        using var noGrad = torch.no_grad();
        Assert.Equal(4, module.ShapeArithmeticNodes); // both Shapes, the Concat and the Cast after it
        foreach ((float[] sizes, int reused) in new[] { (new[] { 2f, 3f }, 0), ([4f, 5f], 1), ([4f, 5f], 1), ([2f, 3f], 4) })
        {
            float[] actual = module.call(torch.tensor(sizes)).data<float>().ToArray();
            Assert.Equal([2f, .. sizes], actual);
            Assert.Equal(reused, module.LastRunReusedNodes);
        }
    }

    [Fact]
    public void GradientsFlowThroughAGraphWhoseReshapeTargetIsReused()
    {
        using var scope = NewDisposeScope();
        using OnnxGraphModule module = Flatten().Load();
        for (int run = 0; run < 2; run++)
        {
            Tensor x = Input(2, run).requires_grad_(true);
            Tensor y = module.call(x);
            Tensor grad = torch.autograd.grad([y.sum()], [x])[0];
            // ∂Σy/∂x[n, k] = Σ_j w[k, j]: the same for every photo.
            Tensor w = torch.tensor(Enumerable.Range(0, 8 * 3).Select(i => MathF.Sin(i * 0.7f)).ToArray()).reshape(8, 3);
            Tensor expected = w.sum(1).reshape(1, 2, 2, 2).expand(2, 2, 2, 2);
            Assert.True(torch.allclose(expected, grad, 1e-5, 1e-6));
        }
        Assert.Equal(4, module.LastRunReusedNodes);
    }

    [Fact]
    public void AValueRecordedInInferenceModeServesALaterGradientRun()
    {
        // y = x · float(x.shape[1]): the scale is shape arithmetic that autograd saves for the backward, which an
        // inference tensor cannot be.
        using var scope = NewDisposeScope();
        using OnnxGraphModule module = new OnnxGraphBuilder(opset: 13).Long("one", [1], 1)
            .Node("Shape", ["x"], "shape").Node("Gather", ["shape", "one"], "width", Int("axis", 0))
            .Node("Cast", ["width"], "scale", Int("to", 1)).Node("Mul", ["x", "scale"], "y").Load();
        Tensor x = Input(2, 0).reshape(2, 8);
        using (torch.inference_mode())
            module.call(x);
        Tensor leaf = x.detach().requires_grad_(true);
        Tensor grad = torch.autograd.grad([module.call(leaf).sum()], [leaf])[0];
        Assert.Equal(3, module.LastRunReusedNodes);
        Assert.Equal(8f, grad.min().item<float>());
        Assert.Equal(8f, grad.max().item<float>());
    }

    [Fact]
    public void ConcurrentRunsShareTheMemoAndAgreeWithASingleThread()
    {
        using OnnxGraphModule memo = Flatten().Load();
        using OnnxGraphModule plain = Flatten().Load(new OnnxImportOptions { ReuseShapeArithmetic = false });
        float[][] Run(OnnxGraphModule module, int k)
        {
            using var scope = NewDisposeScope();
            using var noGrad = torch.no_grad();
            return Enumerable.Range(0, 40).Select(i => module.call(Input(1 + (i + k) % 12, i)).data<float>().ToArray()).ToArray();
        }
        float[][][] parallel = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4).Select(k => Run(memo, k)).ToArray();
        for (int k = 0; k < 4; k++)
            Assert.Equal(Run(plain, k), parallel[k]);
    }

    [Fact]
    public void EvictedAndDisposedEntriesFreeTheirTensors()
    {
        long before = LiveTensors.OnThisThread();
        using (OnnxGraphModule module = Flatten().Load())
        {
            long loaded = LiveTensors.OnThisThread();
            using var noGrad = torch.no_grad();
            for (long batch = 1; batch <= 20; batch++)
            {
                using var scope = NewDisposeScope();
                module.call(Input(batch, 0));
            }
            // The newest eight input shapes keep one value for each of the four nodes; older ones were freed.
            Assert.Equal(8 * 4, LiveTensors.OnThisThread() - loaded);
        }
        Assert.Equal(before, LiveTensors.OnThisThread());
    }
}
