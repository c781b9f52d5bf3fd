using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// The operators transformer and modern-CNN exports need, each on a small hand-built graph run by CamStudio and by
/// ONNX Runtime (the independent reference): every graph output must agree in shape, element type and value
/// (float: |Δ| ≤ 1e-5 · max(1, |reference|)).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxRuntimeOperatorTests
{
    private static readonly long[] Shape3 = [2, 3, 4];

    private readonly ITestOutputHelper _output;

    public OnnxRuntimeOperatorTests(ITestOutputHelper output) => _output = output;

    /// <summary>Deterministic, irregular values (no RNG): 2·sin of a scaled ramp.</summary>
    private static Tensor Pattern(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return (torch.arange(n, dtype: ScalarType.Float32) * 0.737f + 0.3f).sin().mul(2).reshape(shape);
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    internal static void AssertSame(Tensor expected, Tensor actual, string what, float tolerance = 1e-5f)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}], ONNX Runtime [{string.Join(", ", expected.shape)}]");
        Assert.True(expected.dtype == actual.dtype, $"{what}: element type {actual.dtype}, ONNX Runtime {expected.dtype}");
        if (expected.numel() == 0)
            return;
        if (!expected.is_floating_point())
        {
            Assert.False(expected.ne(actual).any().item<bool>(), $"{what}: values differ from ONNX Runtime");
            return;
        }
        float difference = (expected - actual).abs().max().item<float>();
        float scale = Math.Max(1f, expected.abs().max().item<float>());
        Assert.True(difference <= tolerance * scale, $"{what}: max |Δ| {difference} > {tolerance} · {scale}");
    }

    /// <summary>Runs the graph on each input in CamStudio and ONNX Runtime; every output must agree.</summary>
    private static void MatchesOnnxRuntime(OnnxGraphBuilder graph, params Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        byte[] bytes = graph.Bytes();
        using OnnxGraphModule module = OnnxGraphModule.Load(bytes, "test.onnx", CPU);
        foreach (Tensor x in inputs)
        {
            Tensor[] expected = OnnxRuntimeReference.Run(bytes, x);
            using var noGrad = torch.no_grad();
            using GraphRun run = module.Execute(x, null, false);
            Assert.Equal(expected.Length, run.Outputs.Length);
            for (int i = 0; i < expected.Length; i++)
                AssertSame(expected[i], run.Outputs[i], $"output {module.Outputs[i]} for input [{string.Join(", ", x.shape)}]");
        }
    }

    private static OnnxGraphBuilder Graph(int opset = 17, long[]? shape = null) => new(opset, inputShape: shape ?? Shape3);

    // ---- element-wise -------------------------------------------------------------------------------------------

    public static TheoryData<string> UnaryCases => new()
    {
        "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Sin", "Cos", "Erf", "Tanh",
        "Sigmoid", "Relu", "Softplus", "Softsign", "Mish", "Elu", "Selu", "HardSwish", "HardSigmoid", "LeakyRelu", "Tan", "Atan",
        "Sinh", "Cosh", "Asinh", "Asin", "Acos", "Atanh", "Celu", "ThresholdedRelu", "Shrink",
    };

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOperatorMatchesOnnxRuntime(string op)
    {
        // Sqrt, Log and Reciprocal see |x| + 0.1; Round sees exact halves (ties go to even).
        // Asin, Acos and Atanh see 0.9·sin(x), inside (−1, 1).
        bool positive = op is "Sqrt" or "Log" or "Reciprocal";
        OnnxGraphBuilder graph = Graph(op == "Mish" ? 18 : 17).Float("tenth", [0.1f]).Float("half", [0.5f]).Float("nine_tenths", [0.9f]);
        string input = "x";
        if (positive)
        {
            graph.Node("Abs", ["x"], "abs").Node("Add", ["abs", "tenth"], "pos");
            input = "pos";
        }
        else if (op is "Asin" or "Acos" or "Atanh")
        {
            graph.Node("Sin", ["x"], "sin").Node("Mul", ["sin", "nine_tenths"], "unit");
            input = "unit";
        }
        else if (op == "Round")
        {
            graph.Node("Floor", ["x"], "floor").Node("Add", ["floor", "half"], "halves");
            input = "halves";
        }
        graph.Node(op, [input], "y");
        MatchesOnnxRuntime(graph, Pattern(Shape3) * 1.7f);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void GeluMatchesOnnxRuntimeInBothApproximations(string approximate)
    {
        MatchesOnnxRuntime(Graph(20).Node("Gelu", ["x"], "y", String("approximate", approximate)), Pattern(Shape3) * 2f);
    }

    [Fact]
    public void PReluPowWhereAndComparisonsMatchOnnxRuntime()
    {
        OnnxGraphBuilder graph = Graph()
            .Float("slope", [0.1f, -0.2f, 0.3f], 3, 1).Float("two", [2f]).Float("half", [0.5f]).Long("three", [3]).Float("cut", [0.3f])
            .Float("row", [-1f, 0f, 0.5f, 1f], 4)
            .Node("PRelu", ["x", "slope"], "prelu").Output("prelu")
            .Node("Pow", ["x", "two"], "square").Output("square")
            .Node("Abs", ["x"], "abs")
            .Node("Pow", ["abs", "half"], "root").Output("root")
            .Node("Pow", ["x", "three"], "cube").Output("cube")
            .Node("Greater", ["x", "cut"], "greater").Output("greater")
            .Node("Less", ["x", "row"], "less").Output("less")
            .Node("LessOrEqual", ["x", "row"], "le").Output("le")
            .Node("GreaterOrEqual", ["x", "row"], "ge").Output("ge")
            .Node("Floor", ["x"], "floor")
            .Node("Equal", ["floor", "row"], "equal").Output("equal")
            .Node("Not", ["equal"], "not").Output("not")
            .Node("And", ["greater", "le"], "and").Output("and")
            .Node("Or", ["greater", "equal"], "or").Output("or")
            .Node("Xor", ["less", "greater"], "xor").Output("xor")
            .Node("Neg", ["square"], "negative")
            .Node("Where", ["greater", "x", "negative"], "where").Output("where");
        MatchesOnnxRuntime(graph, Pattern(Shape3) * 1.5f);
    }

    [Fact]
    public void ModFollowsTheDivisorsSignOrWithFmodTheDividendsLikeOnnxRuntime()
    {
        OnnxGraphBuilder graph = Graph(13)
            .Float("scale", [3f]).Long("divisors", [3, -3, 4, -4], 4).Float("fdivisors", [0.7f, -0.7f, 1.3f, -1.3f], 4)
            .Node("Mul", ["x", "scale"], "scaled")
            .Node("Cast", ["scaled"], "ints", Int("to", 7))
            .Node("Mod", ["ints", "divisors"], "python").Output("python")
            .Node("Mod", ["ints", "divisors"], ["c"], "", "mod_c", Int("fmod", 1)).Output("c")
            .Node("Mod", ["x", "fdivisors"], ["float"], "", "mod_f", Int("fmod", 1)).Output("float");
        MatchesOnnxRuntime(graph, Pattern(Shape3) * 2.3f);
    }

    [Fact]
    public void VariadicMaxMinSumMeanAndIntegerClipMatchOnnxRuntime()
    {
        OnnxGraphBuilder graph = Graph(15)
            .Float("row", [-1f, 0f, 0.5f, 1f], 4).Float("col", [0.2f, -0.3f, 0.1f], 3, 1).Long("lo", [-1]).Long("hi", [2])
            .Node("Max", ["x", "row", "col"], "max").Output("max")
            .Node("Min", ["x", "row", "col"], "min").Output("min")
            .Node("Sum", ["x", "row", "col"], "sum").Output("sum")
            .Node("Mean", ["x", "row", "col"], "mean").Output("mean")
            .Node("Max", ["x"], "max1").Output("max1")
            .Node("Cast", ["x"], "ints", Int("to", 7))
            .Node("Clip", ["ints", "lo", "hi"], "clipped").Output("clipped")
            .Node("Cast", ["x"], "bools", Int("to", 9)).Output("bools")
            .Node("CastLike", ["clipped", "x"], "like").Output("like");
        MatchesOnnxRuntime(graph, Pattern(Shape3) * 2f);
    }

    // ---- tensors built, broadcast and indexed ----------------------------------------------------------------------

    [Fact]
    public void ExpandBroadcastsBothWaysAndAddsLeadingAxesLikeOnnxRuntime()
    {
        OnnxGraphBuilder graph = Graph(13, [2, 1, 4]).Long("wide", [2, 3, 1], 3).Long("deeper", [3, 1, 1, 1], 4)
            .Node("Expand", ["x", "wide"], "wide_out").Output("wide_out")
            .Node("Expand", ["x", "deeper"], "deep_out").Output("deep_out");
        MatchesOnnxRuntime(graph, Pattern(2, 1, 4));
    }

    [Fact]
    public void ConstantOfShapeRangeTileAndSizeMatchOnnxRuntime()
    {
        var intValue = new global::Onnx.TensorProto { DataType = (int)global::Onnx.TensorProto.Types.DataType.Int64 };
        intValue.Dims.Add(1);
        intValue.Int64Data.Add(7);
        OnnxGraphBuilder graph = Graph(13)
            .Long("zero", [0]).Long("one", [1]).Long("two", [2]).Long("minus_three", [-3]).Long("minus_two", [-2]).Long("reps", [1, 2, 3], 3)
            .Float("f0", [0.5f]).Float("f1", [2.2f]).Float("fd", [0.3f])
            .Node("Shape", ["x"], "shape")
            .Node("ConstantOfShape", ["shape"], "halves", Tensor("value", [0.5f], 1))
            .Node("Add", ["x", "halves"], "shifted").Output("shifted")
            .Node("ConstantOfShape", ["shape"], "sevens", new global::Onnx.AttributeProto { Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor, T = intValue })
            .Output("sevens")
            .Node("Gather", ["shape", "two"], "last")
            .Node("Range", ["zero", "last", "one"], "up").Output("up")
            .Node("Gather", ["shape", "one"], "middle")
            .Node("Range", ["middle", "minus_three", "minus_two"], "down").Output("down")
            .Node("Range", ["f0", "f1", "fd"], "floats").Output("floats")
            .Node("Tile", ["x", "reps"], "tiled").Output("tiled")
            .Node("Size", ["x"], "size").Output("size");
        MatchesOnnxRuntime(graph, Pattern(Shape3));
    }

    [Fact]
    public void ScatterNDWritesRowsAndElementsAndAccumulatesWithAddLikeOnnxRuntime()
    {
        OnnxGraphBuilder graph = Graph(16, [4, 3])
            .Long("rows", [3, 1], 2, 1).Long("cells", [0, 1, 2, 2, -1, 0], 3, 2).Long("starts", [0], 1).Long("ends", [2], 1)
            .Float("two", [2f]).Float("cell_values", [10f, 20f, 30f], 3)
            .Node("Slice", ["x", "starts", "ends"], "top")
            .Node("Mul", ["top", "two"], "updates")
            .Node("ScatterND", ["x", "rows", "updates"], "rows_out").Output("rows_out")
            .Node("ScatterND", ["x", "cells", "cell_values"], "cells_out").Output("cells_out")
            .Node("ScatterND", ["x", "cells", "cell_values"], ["added"], "", "scatter_add", String("reduction", "add")).Output("added");
        MatchesOnnxRuntime(graph, Pattern(4, 3));
    }

    [Fact]
    public void GatherAndSliceTakeNegativeAndRuntimeComputedIndicesLikeOnnxRuntime()
    {
        OnnxGraphBuilder graph = Graph(13, [-1, 5, 6])
            .Long("one", [1]).Long("minus_one", [-1]).Long("axis1", [1], 1).Long("axis_last", [-1], 1).Long("start_neg", [-4], 1)
            .Long("big", [long.MaxValue], 1).Long("step2", [2], 1).Long("rev_start", [-1], 1).Long("rev_end", [long.MinValue], 1)
            .Long("rev_step", [-2], 1).Long("pairs", [-1, 0, 2, -2], 2, 2).Long("gather_idx", [-1, 1, 0, 2, 4, -5], 1, 3, 2).Long("axis0", [0], 1)
            .Node("Shape", ["x"], "shape")
            .Node("Gather", ["shape", "one"], "rows")           // 5, known only at run time
            .Node("Sub", ["rows", "one"], "last_row")
            .Node("Gather", ["x", "last_row"], ["picked"], "", "gather_rt", Int("axis", 1)).Output("picked")
            .Node("Gather", ["x", "minus_one"], ["last_col"], "", "gather_neg", Int("axis", -1)).Output("last_col")
            .Node("Gather", ["x", "pairs"], ["pairs_out"], "", "gather_2d", Int("axis", 2)).Output("pairs_out")
            .Node("GatherElements", ["x", "gather_idx"], ["elements"], "", "gather_el", Int("axis", 1)).Output("elements")
            .Node("Unsqueeze", ["last_row", "axis0"], "end_1d")
            .Node("Slice", ["x", "start_neg", "end_1d", "axis1"], "middle").Output("middle")
            .Node("Slice", ["x", "one_1d", "big", "axis_last", "step2"], "strided").Output("strided")
            .Node("Slice", ["x", "rev_start", "rev_end", "axis1", "rev_step"], "reversed").Output("reversed")
            .Long("one_1d", [1], 1);
        MatchesOnnxRuntime(graph, Pattern(2, 5, 6), Pattern(1, 5, 6), Pattern(3, 5, 6));
    }

    [Fact]
    public void SplitBySizesAttributeSizesInputAndOpset18NumOutputsMatchesOnnxRuntime()
    {
        MatchesOnnxRuntime(Graph(11, [2, 7]).Node("Split", ["x"], ["a", "b"], "", "split", Int("axis", 1), Ints("split", 2, 5))
            .Output("a").Output("b"), Pattern(2, 7));
        MatchesOnnxRuntime(Graph(13, [2, 7]).Long("sizes", [4, 3], 2).Node("Split", ["x", "sizes"], ["a", "b"], "", "split", Int("axis", -1))
            .Output("a").Output("b"), Pattern(2, 7));
        MatchesOnnxRuntime(Graph(18, [2, 7]).Node("Split", ["x"], ["a", "b", "c"], "", "split", Int("axis", 1), Int("num_outputs", 3))
            .Output("a").Output("b").Output("c"), Pattern(2, 7));
    }

    [Fact]
    public void PadInConstantReflectAndEdgeModesWithPadsAsInputOrAttributeMatchesOnnxRuntime()
    {
        long[] shape = [1, 2, 4, 5];
        MatchesOnnxRuntime(Graph(13, shape).Long("p", [0, 1, 2, -1, 0, 0, 1, 2], 8).Float("v", [1.5f])
            .Node("Pad", ["x", "p", "v"], "y"), Pattern(shape));
        MatchesOnnxRuntime(Graph(13, shape).Long("p", [0, 0, 2, 3, 0, 0, 1, 2], 8)
            .Node("Pad", ["x", "p"], "y", String("mode", "reflect")), Pattern(shape));
        MatchesOnnxRuntime(Graph(13, shape).Long("p", [0, 0, 1, 3, 0, 0, 2, 1], 8)
            .Node("Pad", ["x", "p"], "y", String("mode", "edge")), Pattern(shape));
        MatchesOnnxRuntime(Graph(10, shape).Node("Pad", ["x"], "y", String("mode", "edge"), Ints("pads", 0, 0, 2, 1, 0, 0, 0, 3)), Pattern(shape));
        MatchesOnnxRuntime(Graph(18, shape).Long("p", [1, 2, 3, 0], 4).Long("axes", [-1, 2], 2)
            .Node("Pad", ["x", "p", "", "axes"], "y"), Pattern(shape));
    }

    [Fact]
    public void PadsComputedAtRunTimeFromTheInputShapeMatchOnnxRuntime()
    {
        // Swin's pad-to-a-multiple-of-the-window: pad = (4 − W mod 4) mod 4 on the last spatial axes of N×H×W×C.
        long[] shape = [-1, 5, 6, 3];
        OnnxGraphBuilder graph = Graph(13, shape).Long("four", [4]).Long("one", [1]).Long("two", [2]).Long("zeros", [0, 0, 0, 0, 0], 5)
            .Long("zero_1d", [0], 1).Long("axes0", [0], 1)
            .Node("Shape", ["x"], "shape")
            .Node("Gather", ["shape", "one"], "h")
            .Node("Gather", ["shape", "two"], "w")
            .Node("Mod", ["h", "four"], "h_rem")
            .Node("Sub", ["four", "h_rem"], "h_gap")
            .Node("Mod", ["h_gap", "four"], "pad_h")
            .Node("Mod", ["w", "four"], "w_rem")
            .Node("Sub", ["four", "w_rem"], "w_gap")
            .Node("Mod", ["w_gap", "four"], "pad_w")
            .Node("Unsqueeze", ["pad_h", "axes0"], "pad_h_1d")
            .Node("Unsqueeze", ["pad_w", "axes0"], "pad_w_1d")
            .Node("Concat", ["zeros", "pad_h_1d", "pad_w_1d", "zero_1d"], "pads", Int("axis", 0))
            .Node("Pad", ["x", "pads"], "y");
        MatchesOnnxRuntime(graph, Pattern(2, 5, 6, 3), Pattern(1, 5, 6, 3));
    }

    [Fact]
    public void DepthToSpaceSpaceToDepthGatherNDCumSumAndTriluMatchOnnxRuntime()
    {
        long[] shape = [2, 8, 2, 3];
        MatchesOnnxRuntime(Graph(14, shape)
            .Long("nd", [0, 1, 1, 0, 1, 7], 3, 2).Long("batched", [3, 0, 7, -1], 2, 1, 2).Long("axis", [2]).Long("k", [-1])
            .Node("DepthToSpace", ["x"], ["dcr"], "", "d2s_dcr", Int("blocksize", 2)).Output("dcr")
            .Node("DepthToSpace", ["x"], ["crd"], "", "d2s_crd", Int("blocksize", 2), String("mode", "CRD")).Output("crd")
            .Node("SpaceToDepth", ["dcr"], ["back"], "", "s2d", Int("blocksize", 2)).Output("back")
            .Node("GatherND", ["x", "nd"], ["nd_out"], "", "gather_nd").Output("nd_out")
            .Node("GatherND", ["x", "batched"], ["nd_batched"], "", "gather_nd_b", Int("batch_dims", 1)).Output("nd_batched")
            .Node("CumSum", ["x", "axis"], ["cumsum"], "", "cumsum").Output("cumsum")
            .Node("CumSum", ["x", "axis"], ["cumsum_rx"], "", "cumsum_rx", Int("reverse", 1), Int("exclusive", 1)).Output("cumsum_rx")
            .Node("Trilu", ["x"], ["upper"], "", "triu").Output("upper")
            .Node("Trilu", ["x", "k"], ["lower"], "", "tril", Int("upper", 0)).Output("lower"), Pattern(shape));
    }

    [Fact]
    public void InstanceAndGroupNormalizationMatchOnnxRuntime()
    {
        long[] shape = [2, 4, 3, 5];
        Tensor x = Pattern(shape) * 2f + 0.5f;
        MatchesOnnxRuntime(Graph(13, shape).Float("s", [1.5f, -0.5f, 2f, 0.7f], 4).Float("b", [0.1f, 0.2f, -0.3f, 0f], 4)
            .Node("InstanceNormalization", ["x", "s", "b"], "y", Float("epsilon", 1e-3f)), x);
        MatchesOnnxRuntime(Graph(18, shape).Float("s", [1.5f, -0.5f], 2).Float("b", [0.1f, 0.2f], 2)
            .Node("GroupNormalization", ["x", "s", "b"], "y", Int("num_groups", 2)), x);
        MatchesOnnxRuntime(Graph(21, shape).Float("s", [1.5f, -0.5f, 2f, 0.7f], 4).Float("b", [0.1f, 0.2f, -0.3f, 0f], 4)
            .Node("GroupNormalization", ["x", "s", "b"], "y", Int("num_groups", 2)), x);
    }

    // ---- normalisation, attention, reductions ------------------------------------------------------------------

    [Fact]
    public void LayerNormalizationOverOneOrSeveralAxesWithItsStatisticsMatchesOnnxRuntime()
    {
        Tensor x = Pattern(Shape3) * 3f + 1f;
        MatchesOnnxRuntime(Graph().Float("s", [1.5f, -0.5f, 2f, 0.7f], 4).Float("b", [0.1f, 0.2f, -0.3f, 0f], 4)
            .Node("LayerNormalization", ["x", "s", "b"], "y", Float("epsilon", 1e-3f)), x);
        MatchesOnnxRuntime(Graph().Float("s", Values(Pattern(3, 4)), 3, 4)
            .Node("LayerNormalization", ["x", "s"], ["y", "mean", "inv_std"], "", "ln", Int("axis", 1))
            .Output("y").Output("mean").Output("inv_std"), x);
    }

    public static TheoryData<string, long[], long[]> EinsumCases => new()
    {
        { "bij,bjk->bik", [2, 3, 4], [2, 4, 5] },        // batched matmul
        { "bhid,bhjd->bhij", [2, 2, 3, 4], [2, 2, 5, 4] }, // attention scores q·kᵀ
        { "bhij,bhjd->bhid", [2, 2, 3, 5], [2, 2, 5, 4] }, // attention-weighted values
        { "...ij,...jk->...ik", [2, 3, 4], [2, 4, 2] },    // ellipsis batch axes
        { "bid,de->bie", [2, 3, 4], [4, 6] },             // linear layer
        { "ij,jk", [3, 4], [4, 2] },                       // implicit output
    };

    [Theory]
    [MemberData(nameof(EinsumCases))]
    public void EinsumMatchesOnnxRuntime(string equation, long[] left, long[] right)
    {
        MatchesOnnxRuntime(Graph(12, left).Float("w", Values(Pattern(right) * 0.5f), right)
            .Node("Einsum", ["x", "w"], "y", String("equation", equation)), Pattern(left));
    }

    [Fact]
    public void OneOperandEinsumTransposesAndReducesLikeOnnxRuntime()
    {
        MatchesOnnxRuntime(Graph(12).Node("Einsum", ["x"], "t", String("equation", "bij -> bji")).Output("t")
            .Node("Einsum", ["x"], ["r"], "", "reduce", String("equation", "bij->b")).Output("r"), Pattern(Shape3));
    }

    [Fact]
    public void MatMulBroadcastsBatchAxesAndVectorsLikeOnnxRuntime()
    {
        MatchesOnnxRuntime(Graph(13, [2, 1, 3, 4]).Float("w", Values(Pattern(5, 4, 2)), 5, 4, 2).Float("v", [1f, -1f, 0.5f, 2f], 4)
            .Node("MatMul", ["x", "w"], "batched").Output("batched")
            .Node("MatMul", ["x", "v"], "vector").Output("vector"), Pattern(2, 1, 3, 4));
    }

    [Fact]
    public void MatMulOfATransposedStackOfRowsByOneMatrixMatchesOnnxRuntime()
    {
        // Seq-first attention's shape: the stack is a non-contiguous view, which the import runs as one GEMM.
        MatchesOnnxRuntime(Graph(13, [2, 3, 4]).Float("w", Values(Pattern(4, 5)), 4, 5)
            .Node("Transpose", ["x"], ["t"], "", "transpose", Ints("perm", 1, 0, 2))
            .Node("MatMul", ["t", "w"], "rows").Output("rows")
            .Node("Transpose", ["x"], ["u"], "", "transpose_back", Ints("perm", 2, 0, 1))
            .Node("Transpose", ["u"], ["v"], "", "transpose_again", Ints("perm", 1, 2, 0))
            .Node("MatMul", ["v", "w"], "again").Output("again"), Pattern(2, 3, 4));
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxCoerceTo2DBeforeOpset13AndUseOneAxisAfter()
    {
        Tensor x = Pattern(Shape3) * 2f;
        foreach (int opset in new[] { 11, 13 })
            MatchesOnnxRuntime(Graph(opset).Node("Softmax", ["x"], ["s"], "", "softmax", Int("axis", 1)).Output("s")
                .Node("LogSoftmax", ["x"], ["l"], "", "log_softmax", Int("axis", 1)).Output("l")
                .Node("Softmax", ["x"], "last").Output("last"), x);
    }

    [Fact]
    public void ReductionsWithAxesAsAttributeOrInputMatchOnnxRuntime()
    {
        Tensor x = Pattern(Shape3) + 2.5f;   // positive, so the logarithms are defined
        MatchesOnnxRuntime(Graph(13).Long("axes", [-1, 0], 2)
            .Node("ReduceSum", ["x", "axes"], "sum").Output("sum")
            .Node("ReduceSum", ["x"], ["all"], "", "sum_all", Int("keepdims", 0)).Output("all")
            .Node("ReduceSum", ["x", ""], ["noop"], "", "sum_noop", Int("noop_with_empty_axes", 1)).Output("noop")
            .Node("ReduceMax", ["x"], ["max"], "", "max", Ints("axes", 1)).Output("max")
            .Node("ReduceMin", ["x"], ["min"], "", "min", Ints("axes", 0, 2), Int("keepdims", 0)).Output("min")
            .Node("ReduceProd", ["x"], ["prod"], "", "prod", Ints("axes", 1)).Output("prod")
            .Node("ReduceL1", ["x"], ["l1"], "", "l1", Ints("axes", -1)).Output("l1")
            .Node("ReduceL2", ["x"], ["l2"], "", "l2", Ints("axes", -1)).Output("l2")
            .Node("ReduceSumSquare", ["x"], ["ss"], "", "ss", Ints("axes", 2)).Output("ss")
            .Node("ReduceLogSum", ["x"], ["ls"], "", "ls", Ints("axes", 2)).Output("ls")
            .Node("ReduceLogSumExp", ["x"], ["lse"], "", "lse", Ints("axes", 1), Int("keepdims", 0)).Output("lse")
            .Node("ReduceMean", ["x"], ["mean"], "", "mean", Ints("axes", 1, 2)).Output("mean")
            .Node("ArgMax", ["x"], ["argmax"], "", "argmax", Int("axis", 1)).Output("argmax")
            .Node("ArgMin", ["x"], ["argmin"], "", "argmin", Int("axis", -1), Int("keepdims", 0)).Output("argmin"), x);
        MatchesOnnxRuntime(Graph(18).Long("axes", [1], 1)
            .Node("ReduceMax", ["x", "axes"], "max").Output("max")
            .Node("ReduceMean", ["x", "axes"], "mean").Output("mean")
            .Node("ReduceL2", ["x", "axes"], "l2").Output("l2"), x);
    }

    [Fact]
    public void ArgMaxSelectsTheLastTieWhenAskedLikeOnnxRuntime()
    {
        MatchesOnnxRuntime(Graph(13).Node("Floor", ["x"], "ties")
            .Node("ArgMax", ["ties"], ["first"], "", "first", Int("axis", 2)).Output("first")
            .Node("ArgMax", ["ties"], ["last"], "", "last", Int("axis", 2), Int("select_last_index", 1)).Output("last"), Pattern(Shape3));
    }

    [Theory]
    [InlineData("h")]
    [InlineData("attention")]
    [InlineData("gelu")]
    public void GradientsThroughLayerNormGeluEinsumAndSoftmaxMatchOnnxRuntimeFiniteDifferences(string captured)
    {
        // A one-head self-attention block: h → LayerNorm → Gelu → softmax(g·gᵀ / 2) · g → token mean → linear logits.
        using var scope = NewDisposeScope();
        byte[] bytes = Graph(20, [-1, 5, 4])
            .Float("w0", Values(Pattern(4, 4) * 0.7f), 4, 4).Float("s", [1.2f, 0.8f, -0.9f, 1.1f], 4).Float("b", [0.1f, -0.2f, 0.3f, 0f], 4)
            .Float("quarter", [0.5f]).Long("tokens", [1], 1).Float("wc", Values(Pattern(3, 4)), 3, 4)
            .Node("MatMul", ["x", "w0"], "h")
            .Node("LayerNormalization", ["h", "s", "b"], "ln")
            .Node("Gelu", ["ln"], "gelu")
            .Node("Einsum", ["gelu", "gelu"], "scores", String("equation", "bic,bjc->bij"))
            .Node("Mul", ["scores", "quarter"], "scaled")
            .Node("Softmax", ["scaled"], "attention")
            .Node("Einsum", ["attention", "gelu"], ["mixed"], "", "mix", String("equation", "bij,bjc->bic"))
            .Node("ReduceMean", ["mixed", "tokens"], ["pooled"], "", "pool", Int("keepdims", 0))
            .Node("Gemm", ["pooled", "wc"], ["logits"], "", "head", Int("transB", 1))
            .Bytes();
        using OnnxGraphModule module = OnnxGraphModule.Load(bytes, "attention.onnx", CPU);
        OnnxGradientCheck.AutogradMatchesOnnxRuntimeFiniteDifferences(bytes, module, "x", Pattern(2, 5, 4) * 1.5f, captured, target: 1, _output);
    }

    [Fact]
    public void ShapeFamilyAndBroadcastArithmeticMatchOnnxRuntime()
    {
        // The ops every export leans on: Squeeze/Unsqueeze with axes as input, Transpose, Flatten, Reshape 0/−1,
        // Shape with start/end (opset 15), Concat on a negative axis, broadcasting Add/Sub/Mul/Div, Identity.
        MatchesOnnxRuntime(Graph(15, [-1, 1, 3, 4])
            .Long("ax1", [1], 1).Long("ax_neg", [-1, 0], 2).Long("target", [0, -1, 2], 3).Float("col", [0.5f, 2f, -1f], 3, 1)
            .Float("row", [1f, 2f, 4f, 8f], 4)
            .Node("Squeeze", ["x", "ax1"], "squeezed").Output("squeezed")
            .Node("Unsqueeze", ["squeezed", "ax_neg"], "unsqueezed").Output("unsqueezed")
            .Node("Transpose", ["x"], ["transposed"], "", "transpose", Ints("perm", 0, 3, 1, 2)).Output("transposed")
            .Node("Flatten", ["x"], ["flat"], "", "flatten", Int("axis", 2)).Output("flat")
            .Node("Reshape", ["x", "target"], "reshaped").Output("reshaped")
            .Node("Shape", ["x"], ["tail_shape"], "", "shape", Int("start", -2)).Output("tail_shape")
            .Node("Shape", ["x"], ["head_shape"], "", "shape2", Int("end", 1)).Output("head_shape")
            .Node("Concat", ["squeezed", "squeezed"], ["joined"], "", "concat", Int("axis", -1)).Output("joined")
            .Node("Add", ["squeezed", "col"], "added")
            .Node("Sub", ["added", "row"], "subtracted")
            .Node("Mul", ["subtracted", "col"], "multiplied")
            .Node("Div", ["multiplied", "row"], "divided")
            .Node("Identity", ["divided"], "identity").Output("identity"), Pattern(2, 1, 3, 4), Pattern(3, 1, 3, 4));
    }

    // ---- dynamic shapes ------------------------------------------------------------------------------------------

    [Fact]
    public void ClassTokenExpandedToTheRuntimeBatchAndReshapedByAShapeChainMatchesOnnxRuntimeAtAnyBatch()
    {
        // torch.onnx's class_token.expand(n, −1, −1): [n, −1, −1] → (ConstantOfShape, Mul −1, Equal, Where) → Expand;
        // then cat with the patch tokens and a Shape → Gather → Concat → Reshape flatten.
        OnnxGraphBuilder graph = Graph(13, [-1, 6, 4])
            .Float("cls", [0.5f, -1f, 2f, 0.25f], 1, 1, 4).Long("zero", [0]).Long("minus_one", [-1], 1).Long("axes0", [0], 1)
            .Long("three", [3], 1).Long("minus_one_s", [-1])
            .Node("Shape", ["x"], "shape")
            .Node("Gather", ["shape", "zero"], "n")
            .Node("Unsqueeze", ["n", "axes0"], "n_1d")
            .Node("Concat", ["n_1d", "minus_one", "minus_one"], "wanted", Int("axis", 0))
            .Node("ConstantOfShape", ["three"], "ones", new global::Onnx.AttributeProto { Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor, T = LongTensor(1) })
            .Node("Mul", ["ones", "minus_one_s"], "minus_ones")
            .Node("Equal", ["wanted", "minus_ones"], "is_free")
            .Node("Where", ["is_free", "ones", "wanted"], "target")
            .Node("Expand", ["cls", "target"], "cls_n")
            .Node("Concat", ["cls_n", "x"], "tokens", Int("axis", 1)).Output("tokens")
            .Node("Concat", ["n_1d", "minus_one"], "flat_shape", Int("axis", 0))
            .Node("Reshape", ["tokens", "flat_shape"], "flat").Output("flat");
        MatchesOnnxRuntime(graph, Pattern(1, 6, 4), Pattern(3, 6, 4), Pattern(2, 6, 4));
    }

    private static global::Onnx.TensorProto LongTensor(long value)
    {
        var t = new global::Onnx.TensorProto { DataType = (int)global::Onnx.TensorProto.Types.DataType.Int64 };
        t.Dims.Add(1);
        t.Int64Data.Add(value);
        return t;
    }
}
