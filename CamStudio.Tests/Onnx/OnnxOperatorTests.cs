using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// Each operator on a small hand-built graph, checked against a result computed independently in the test: naive loops,
/// hand-written tensors, or TorchSharp's functional ops applied to explicitly prepared inputs.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxOperatorTests
{
    /// <summary>Deterministic, irregular values (no RNG): sin of a scaled ramp.</summary>
    private static Tensor Pattern(params long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return (torch.arange(n, dtype: ScalarType.Float32) * 0.737f + 0.3f).sin().mul(2).reshape(shape);
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    private static void AssertClose(Tensor expected, Tensor actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.shape, actual.shape);
        float difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= tolerance, $"max |Δ| {difference} > {tolerance}");
    }

    // ---- convolution and pooling --------------------------------------------------------------------------------

    [Fact]
    public void ConvWithAsymmetricPadsStridesDilationsAndGroupsMatchesConv2dOnAnExplicitlyPaddedInput()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 4, 9, 8), w = Pattern(6, 2, 3, 3) * 0.5f, b = Pattern(6);
        Tensor actual = new OnnxGraphBuilder()
            .Float("w", Values(w), 6, 2, 3, 3).Float("b", Values(b), 6)
            .Node("Conv", ["x", "w", "b"], "y", Int("group", 2), Ints("pads", 1, 0, 2, 1), Ints("strides", 2, 1), Ints("dilations", 1, 2))
            .Run(x);
        // pads [top 1, left 0, bottom 2, right 1] → F.pad's (left, right, top, bottom).
        Tensor expected = F.conv2d(F.pad(x, [0, 1, 1, 2]), w, b, strides: [2, 1], dilation: [1, 2], groups: 2);
        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData("SAME_UPPER", 0, 1)]
    [InlineData("SAME_LOWER", 1, 0)]
    public void ConvAutoPadPutsTheOddPaddingRowWhereTheSpecSays(string autoPad, long before, long after)
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(1, 1, 8, 8), w = Pattern(2, 1, 3, 3);
        Tensor actual = new OnnxGraphBuilder().Float("w", Values(w), 2, 1, 3, 3)
            .Node("Conv", ["x", "w"], "y", String("auto_pad", autoPad), Ints("strides", 2, 2), Ints("kernel_shape", 3, 3))
            .Run(x);
        // 8 → ceil(8/2) = 4 outputs need (4−1)·2 + 3 − 8 = 1 padded row and column in total.
        Tensor expected = F.conv2d(F.pad(x, [before, after, before, after]), w, strides: [2, 2]);
        Assert.Equal([1L, 2, 4, 4], actual.shape);
        AssertClose(expected, actual);
    }

    [Fact]
    public void ConvTransposeCropsItsPadsFromTheFullTransposedConvolution()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(1, 2, 4, 5), w = Pattern(2, 3, 3, 3), b = Pattern(3);
        Tensor actual = new OnnxGraphBuilder().Float("w", Values(w), 2, 3, 3, 3).Float("b", Values(b), 3)
            .Node("ConvTranspose", ["x", "w", "b"], "y", Ints("strides", 2, 2), Ints("pads", 1, 0, 0, 1))
            .Run(x);
        Tensor full = F.conv_transpose2d(x, w, b, strides: [2, 2]);
        Tensor expected = full[.., .., 1.., ..^1];
        AssertClose(expected, actual);
    }

    /// <summary>Naive pooling over an explicitly padded grid: the reference for AveragePool and MaxPool.</summary>
    private static float[,,,] NaivePool(float[] x, long n, long c, long h, long w, long[] kernel, long[] strides, long[] pads, string kind)
    {
        long oh = (h + pads[0] + pads[2] - kernel[0]) / strides[0] + 1, ow = (w + pads[1] + pads[3] - kernel[1]) / strides[1] + 1;
        var result = new float[n, c, oh, ow];
        for (long b = 0; b < n; b++)
            for (long ch = 0; ch < c; ch++)
                for (long i = 0; i < oh; i++)
                    for (long j = 0; j < ow; j++)
                    {
                        float sum = 0, max = float.NegativeInfinity;
                        int real = 0;
                        for (long di = 0; di < kernel[0]; di++)
                            for (long dj = 0; dj < kernel[1]; dj++)
                            {
                                long r = i * strides[0] - pads[0] + di, q = j * strides[1] - pads[1] + dj;
                                if (r < 0 || r >= h || q < 0 || q >= w)
                                    continue;
                                float v = x[((b * c + ch) * h + r) * w + q];
                                sum += v;
                                max = Math.Max(max, v);
                                real++;
                            }
                        result[b, ch, i, j] = kind switch
                        {
                            "max" => max,
                            "avg_include_pad" => sum / (kernel[0] * kernel[1]),
                            _ => sum / real,
                        };
                    }
        return result;
    }

    [Theory]
    [InlineData(0, "avg_exclude_pad")]
    [InlineData(1, "avg_include_pad")]
    public void AveragePoolWithAsymmetricPadsFollowsCountIncludePad(long countIncludePad, string kind)
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(1, 2, 5, 6);
        long[] kernel = [3, 2], strides = [2, 2], pads = [1, 0, 0, 1];
        Tensor actual = new OnnxGraphBuilder()
            .Node("AveragePool", ["x"], "y", Ints("kernel_shape", kernel), Ints("strides", strides), Ints("pads", pads), Int("count_include_pad", countIncludePad))
            .Run(x);
        Tensor expected = torch.tensor(NaivePool(Values(x), 1, 2, 5, 6, kernel, strides, pads, kind));
        AssertClose(expected, actual);
    }

    [Fact]
    public void MaxPoolWithAsymmetricPadsIgnoresThePadding()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 3, 7, 6) - 3f;   // all negative where padding would win if it were zeros
        long[] kernel = [3, 3], strides = [2, 1], pads = [0, 2, 1, 0];
        Tensor actual = new OnnxGraphBuilder()
            .Node("MaxPool", ["x"], "y", Ints("kernel_shape", kernel), Ints("strides", strides), Ints("pads", pads))
            .Run(x);
        Tensor expected = torch.tensor(NaivePool(Values(x), 2, 3, 7, 6, kernel, strides, pads, "max"));
        AssertClose(expected, actual);
    }

    [Fact]
    public void GlobalPoolsAndReduceMeanAverageOrMaximiseTheSpatialAxes()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 3, 4, 5);
        float[] v = Values(x);
        var mean = new float[6];
        var max = new float[6];
        for (int nc = 0; nc < 6; nc++)
        {
            mean[nc] = v.Skip(nc * 20).Take(20).Average();
            max[nc] = v.Skip(nc * 20).Take(20).Max();
        }
        AssertClose(torch.tensor(mean, [2, 3, 1, 1]), new OnnxGraphBuilder().Node("GlobalAveragePool", ["x"], "y").Run(x));
        AssertClose(torch.tensor(max, [2, 3, 1, 1]), new OnnxGraphBuilder().Node("GlobalMaxPool", ["x"], "y").Run(x));
        AssertClose(torch.tensor(mean, [2, 3]), new OnnxGraphBuilder(opset: 13)
            .Node("ReduceMean", ["x"], "y", Ints("axes", -1, 2), Int("keepdims", 0)).Run(x));
        AssertClose(torch.tensor(mean, [2, 3, 1, 1]), new OnnxGraphBuilder(opset: 18).Long("axes", [2, 3], 2)
            .Node("ReduceMean", ["x", "axes"], "y").Run(x));
    }

    [Fact]
    public void BatchNormalizationUsesTheInferenceFormula()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 3, 2, 2);
        float[] scale = [1.5f, -0.5f, 2f], bias = [0.1f, 0.2f, -0.3f], mean = [0.3f, -0.2f, 0.5f], variance = [0.8f, 1.7f, 0.05f];
        Tensor actual = new OnnxGraphBuilder().Float("s", scale, 3).Float("b", bias, 3).Float("m", mean, 3).Float("v", variance, 3)
            .Node("BatchNormalization", ["x", "s", "b", "m", "v"], "y", Float("epsilon", 1e-3f)).Run(x);
        float[] v = Values(x);
        var expected = new float[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            int c = i / 4 % 3;
            expected[i] = (v[i] - mean[c]) / MathF.Sqrt(variance[c] + 1e-3f) * scale[c] + bias[c];
        }
        AssertClose(torch.tensor(expected, x.shape), actual);
    }

    // ---- linear algebra -----------------------------------------------------------------------------------------

    [Fact]
    public void GemmAppliesTransposesAlphaAndBeta()
    {
        using var scope = NewDisposeScope();
        Tensor aStored = Pattern(4, 3), b = Pattern(5, 4) * 0.3f;   // A = aStoredᵀ (3×4), B = bᵀ (4×5)
        float[] c = [1, 2, 3, 4, 5];
        Tensor actual = new OnnxGraphBuilder().Float("b", Values(b), 5, 4).Float("c", c, 5)
            .Node("Gemm", ["x", "b", "c"], "y", Int("transA", 1), Int("transB", 1), Float("alpha", 0.5f), Float("beta", 2f)).Run(aStored);
        float[] a = Values(aStored), bv = Values(b);
        var expected = new float[15];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++)
            {
                float dot = 0;
                for (int k = 0; k < 4; k++)
                    dot += a[k * 3 + i] * bv[j * 4 + k];
                expected[i * 5 + j] = 0.5f * dot + 2f * c[j];
            }
        AssertClose(torch.tensor(expected, [3, 5]), actual);
    }

    [Fact]
    public void MatMulBroadcastsABatchOfMatrices()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 3, 4), w = Pattern(4, 2);
        Tensor actual = new OnnxGraphBuilder().Float("w", Values(w), 4, 2).Node("MatMul", ["x", "w"], "y").Run(x);
        float[] xv = Values(x), wv = Values(w);
        var expected = new float[12];
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 2; j++)
                    for (int k = 0; k < 4; k++)
                        expected[(b * 3 + i) * 2 + j] += xv[(b * 3 + i) * 4 + k] * wv[k * 2 + j];
        AssertClose(torch.tensor(expected, [2, 3, 2]), actual);
    }

    // ---- shapes -------------------------------------------------------------------------------------------------

    private static Tensor Ramp(params long[] shape) => torch.arange(shape.Aggregate(1L, (a, b) => a * b), dtype: ScalarType.Float32).reshape(shape);

    [Fact]
    public void SliceWithNegativeStepsAndAxesWalksBackwards()
    {
        using var scope = NewDisposeScope();
        Tensor x = Ramp(2, 3, 4);   // x[b, i, j] = 12b + 4i + j
        Tensor actual = new OnnxGraphBuilder()
            .Long("starts", [-1, 2], 2).Long("ends", [long.MinValue, 0], 2).Long("axes", [-1, 1], 2).Long("steps", [-2, -1], 2)
            .Node("Slice", ["x", "starts", "ends", "axes", "steps"], "y").Run(x);
        // Last axis from 3 down past 0 by 2 → {3, 1}; axis 1 from 2 down to (not incl.) 0 → {2, 1}.
        float[] expected = [11, 9, 7, 5, 23, 21, 19, 17];
        AssertClose(torch.tensor(expected, [2, 2, 2]), actual);
    }

    [Fact]
    public void SliceBeforeOpset10TakesAttributesAndClampsEnds()
    {
        using var scope = NewDisposeScope();
        Tensor actual = new OnnxGraphBuilder(opset: 9)
            .Node("Slice", ["x"], "y", Ints("starts", 1), Ints("ends", 1000), Ints("axes", 2)).Run(Ramp(1, 2, 4));
        AssertClose(torch.tensor(new float[] { 1, 2, 3, 5, 6, 7 }, [1, 2, 3]), actual);
    }

    [Fact]
    public void SplitHonoursExplicitSizesAndSplitsEvenlyWithout()
    {
        using var scope = NewDisposeScope();
        Tensor x = Ramp(2, 4);
        using OnnxGraphModule sized = new OnnxGraphBuilder(opset: 13).Long("sizes", [1, 3], 2)
            .Node("Split", ["x", "sizes"], ["a", "b"], "", null, Int("axis", 1)).Output("a").Output("b").Load();
        using (var run = sized.Execute(x, null, false))
        {
            AssertClose(torch.tensor(new float[] { 0, 4 }, [2, 1]), run.Outputs[0]);
            AssertClose(torch.tensor(new float[] { 1, 2, 3, 5, 6, 7 }, [2, 3]), run.Outputs[1]);
        }
        using OnnxGraphModule even = new OnnxGraphBuilder(opset: 11)
            .Node("Split", ["x"], ["a", "b"], "", null, Int("axis", -1)).Output("a").Output("b").Load();
        using (var run = even.Execute(x, null, false))
        {
            AssertClose(torch.tensor(new float[] { 0, 1, 4, 5 }, [2, 2]), run.Outputs[0]);
            AssertClose(torch.tensor(new float[] { 2, 3, 6, 7 }, [2, 2]), run.Outputs[1]);
        }
    }

    [Fact]
    public void ConcatAndGatherWithNegativeAndScalarIndices()
    {
        using var scope = NewDisposeScope();
        Tensor x = Ramp(2, 3);
        Tensor concat = new OnnxGraphBuilder().Float("k", [10, 20], 2, 1).Node("Concat", ["x", "k"], "y", Int("axis", 1)).Run(x);
        AssertClose(torch.tensor(new float[] { 0, 1, 2, 10, 3, 4, 5, 20 }, [2, 4]), concat);

        Tensor gathered = new OnnxGraphBuilder().Long("i", [-1, 0, 1, -1], 2, 2).Node("Gather", ["x", "i"], "y", Int("axis", 1)).Run(x);
        AssertClose(torch.tensor(new float[] { 2, 0, 1, 2, 5, 3, 4, 5 }, [2, 2, 2]), gathered);

        Tensor row = new OnnxGraphBuilder().Long("i", [-1]).Node("Gather", ["x", "i"], "y").Run(x);
        AssertClose(torch.tensor(new float[] { 3, 4, 5 }, [3]), row);
    }

    [Fact]
    public void ReshapeCopiesZeroDimensionsAndInfersMinusOne()
    {
        using var scope = NewDisposeScope();
        Tensor actual = new OnnxGraphBuilder().Long("s", [0, -1], 2).Node("Reshape", ["x", "s"], "y").Run(Ramp(2, 3, 4));
        AssertClose(Ramp(2, 12), actual);
    }

    [Fact]
    public void ShapeSubgraphBuildsTheReshapeTargetForAnyBatch()
    {
        // Shape → Gather(0) → Unsqueeze → Concat(−1) → Reshape: the dynamic flatten exporters emit (as in the shared model).
        using var scope = NewDisposeScope();
        Tensor x = Ramp(3, 2, 2, 2);
        Tensor actual = new OnnxGraphBuilder(opset: 12).Long("zero", [0]).Long("minus_one", [-1], 1)
            .Node("Shape", ["x"], "shape")
            .Node("Gather", ["shape", "zero"], "batch", Int("axis", 0))
            .Node("Unsqueeze", ["batch"], "batch_1d", Ints("axes", 0))
            .Node("Concat", ["batch_1d", "minus_one"], "target", Int("axis", 0))
            .Node("Reshape", ["x", "target"], "y").Run(x);
        AssertClose(Ramp(3, 8), actual);
    }

    [Fact]
    public void ReshapeToAConstantLeadingOneKeepsTheBatch()
    {
        using var scope = NewDisposeScope();
        Tensor actual = new OnnxGraphBuilder().Long("s", [1, 12], 2).Node("Reshape", ["x", "s"], "y").Run(Ramp(3, 3, 4));
        AssertClose(Ramp(3, 12), actual);
        Tensor single = new OnnxGraphBuilder().Long("s", [1, 12], 2).Node("Reshape", ["x", "s"], "y").Run(Ramp(1, 3, 4));
        AssertClose(Ramp(1, 12), single);
    }

    [Fact]
    public void SqueezeAndUnsqueezeTakeAxesAsAttributeBeforeOpset13AndAsInputAfter()
    {
        using var scope = NewDisposeScope();
        Tensor x = Ramp(2, 1, 3, 1);
        Assert.Equal([2L, 3, 1], new OnnxGraphBuilder(opset: 11).Node("Squeeze", ["x"], "y", Ints("axes", 1)).Run(x).shape);
        Assert.Equal([2L, 3], new OnnxGraphBuilder(opset: 13).Long("a", [1, -1], 2).Node("Squeeze", ["x", "a"], "y").Run(x).shape);
        Assert.Equal([2L, 3], new OnnxGraphBuilder(opset: 13).Node("Squeeze", ["x"], "y").Run(x).shape);
        Assert.Equal([1L, 2, 1, 3, 1, 1], new OnnxGraphBuilder(opset: 11).Node("Unsqueeze", ["x"], "y", Ints("axes", 0, -2)).Run(x).shape);
        Tensor unsqueezed = new OnnxGraphBuilder(opset: 13).Long("a", [2], 1).Node("Unsqueeze", ["x", "a"], "y").Run(x);
        AssertClose(Ramp(2, 1, 1, 3, 1), unsqueezed);
    }

    [Fact]
    public void TransposeFlattenAndSoftmaxFollowTheirOpsetSemantics()
    {
        using var scope = NewDisposeScope();
        Tensor x = Ramp(2, 3, 4) / 10f;
        AssertClose(x.permute(2, 1, 0), new OnnxGraphBuilder().Node("Transpose", ["x"], "y").Run(x));
        AssertClose(x.permute(1, 0, 2), new OnnxGraphBuilder().Node("Transpose", ["x"], "y", Ints("perm", 1, 0, 2)).Run(x));
        AssertClose(x.reshape(6, 4), new OnnxGraphBuilder().Node("Flatten", ["x"], "y", Int("axis", 2)).Run(x));

        float[] v = Values(x);
        // Opset 13: over the last axis. Opset 11: over everything after axis 1 (3×4 = 12 values per row).
        float[] Softmax(int group) => v.Select((value, i) =>
        {
            var block = v.Skip(i / group * group).Take(group).ToArray();
            return MathF.Exp(value) / block.Sum(MathF.Exp);
        }).ToArray();
        AssertClose(torch.tensor(Softmax(4), x.shape), new OnnxGraphBuilder(opset: 13).Node("Softmax", ["x"], "y").Run(x));
        AssertClose(torch.tensor(Softmax(12), x.shape), new OnnxGraphBuilder(opset: 11).Node("Softmax", ["x"], "y").Run(x));
    }

    [Fact]
    public void PadSupportsConstantAndReflectModesInBothOpsetForms()
    {
        using var scope = NewDisposeScope();
        Tensor x = Ramp(1, 1, 2, 3);
        Tensor constant = new OnnxGraphBuilder(opset: 11).Long("p", [0, 0, 1, 0, 0, 0, 0, 2], 8).Float("v", [9])
            .Node("Pad", ["x", "p", "v"], "y").Run(x);
        AssertClose(torch.tensor(new float[] { 9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 3, 4, 5, 9, 9 }, [1, 1, 3, 5]), constant);
        Tensor reflect = new OnnxGraphBuilder(opset: 2)
            .Node("Pad", ["x"], "y", String("mode", "reflect"), Ints("pads", 0, 0, 0, 1, 0, 0, 0, 1)).Run(x);
        AssertClose(torch.tensor(new float[] { 1, 0, 1, 2, 1, 4, 3, 4, 5, 4 }, [1, 1, 2, 5]), reflect);
    }

    // ---- element-wise -------------------------------------------------------------------------------------------

    [Fact]
    public void ActivationsMatchTheirClosedForms()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(3, 7) * 4f;
        float[] v = Values(x);
        void Check(Func<float, float> f, OnnxGraphBuilder graph) => AssertClose(torch.tensor(v.Select(f).ToArray(), x.shape), graph.Run(x));
        Check(a => Math.Max(a, 0), new OnnxGraphBuilder().Node("Relu", ["x"], "y"));
        Check(a => 1 / (1 + MathF.Exp(-a)), new OnnxGraphBuilder().Node("Sigmoid", ["x"], "y"));
        Check(a => a >= 0 ? a : 0.2f * a, new OnnxGraphBuilder().Node("LeakyRelu", ["x"], "y", Float("alpha", 0.2f)));
        Check(a => a >= 0 ? a : 0.01f * a, new OnnxGraphBuilder().Node("LeakyRelu", ["x"], "y"));
        Check(a => Math.Clamp(0.3f * a + 0.4f, 0, 1), new OnnxGraphBuilder().Node("HardSigmoid", ["x"], "y", Float("alpha", 0.3f), Float("beta", 0.4f)));
        Check(a => a * Math.Clamp(a / 6 + 0.5f, 0, 1), new OnnxGraphBuilder(opset: 14).Node("HardSwish", ["x"], "y"));
        Check(a => Math.Clamp(a, -1f, 0.5f), new OnnxGraphBuilder(opset: 6).Node("Clip", ["x"], "y", Float("min", -1f), Float("max", 0.5f)));
        Check(a => Math.Clamp(a, 0f, 6f), new OnnxGraphBuilder(opset: 12).Float("lo", [0f]).Float("hi", [6f]).Node("Clip", ["x", "lo", "hi"], "y"));
        Check(a => Math.Max(a, -0.5f), new OnnxGraphBuilder(opset: 12).Float("lo", [-0.5f]).Node("Clip", ["x", "lo"], "y"));
        Check(a => a, new OnnxGraphBuilder(opset: 12).Node("Dropout", ["x"], "y"));
        Check(a => a, new OnnxGraphBuilder().Node("Identity", ["x"], "y"));
    }

    [Fact]
    public void ArithmeticBroadcastsAndConstantNodesFeedIt()
    {
        using var scope = NewDisposeScope();
        Tensor x = Ramp(2, 3);
        Tensor actual = new OnnxGraphBuilder()
            .Node("Constant", [], "row", Tensor("value", [1, 2, 4], 3))
            .Node("Constant", [], "half", Float("value_float", 0.5f))
            .Node("Add", ["x", "row"], "a")
            .Node("Mul", ["a", "half"], "b")
            .Node("Sub", ["b", "row"], "c")
            .Node("Div", ["c", "row"], "y").Run(x);
        float[] row = [1, 2, 4];
        float[] expected = Values(x).Select((v, i) => ((v + row[i % 3]) * 0.5f - row[i % 3]) / row[i % 3]).ToArray();
        AssertClose(torch.tensor(expected, [2, 3]), actual);
    }

    [Fact]
    public void IntegerDivisionInShapeArithmeticTruncates()
    {
        using var scope = NewDisposeScope();
        Tensor actual = new OnnxGraphBuilder().Long("two", [2]).Long("target", [0, 0, 0, 0], 4)
            .Node("Shape", ["x"], "shape")
            .Node("Div", ["shape", "two"], "half")
            .Output("half").Node("Identity", ["x"], "unused").Run(Ramp(1, 5, 2, 7));
        Assert.Equal(ScalarType.Int64, actual.dtype);
        Assert.Equal([0L, 2, 1, 3], actual.data<long>().ToArray());
    }

    // ---- quantised operators ------------------------------------------------------------------------------------

    private const float XScale = 0.02f;
    private const byte XZero = 128;

    /// <summary>x → QuantizeLinear → QLinearConv (per-channel int8 weight, int32 bias) with the given output scale/zero point.</summary>
    private static OnnxGraphBuilder QuantisedConv(sbyte[] wq, float[] wScale, sbyte[] wZero, int[] bias, float yScale, byte yZero) =>
        new OnnxGraphBuilder(opset: 12)
            .Float("xs", [XScale]).UInt8("xz", [XZero]).Int8("w", wq, 2, 1, 2, 2).Float("ws", wScale, 2).Int8("wz", wZero, 2)
            .Float("ys", [yScale]).UInt8("yz", [yZero]).Int32("b", bias, 2)
            .Node("QuantizeLinear", ["x", "xs", "xz"], "xq")
            .Node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], "yq", Ints("pads", 0, 0, 1, 1))
            .Node("DequantizeLinear", ["yq", "ys", "yz"], "y");

    private static readonly sbyte[] Wq = [12, -7, 100, 3, -128, 64, 5, 127];
    private static readonly float[] WScale = [0.01f, 0.03f];
    private static readonly sbyte[] WZero = [2, -1];
    private static readonly int[] Bias = [5000, -3000];

    /// <summary>The same convolution in float from weights dequantised by hand: (q − z)·s per output channel, bias·x_scale·w_scale.</summary>
    private static Tensor HandDequantisedConv(Tensor x)
    {
        var w = new float[8];
        for (int i = 0; i < 8; i++)
            w[i] = (Wq[i] - WZero[i / 4]) * WScale[i / 4];
        float[] b = [Bias[0] * XScale * WScale[0], Bias[1] * XScale * WScale[1]];
        return F.conv2d(F.pad(x, [0, 1, 0, 1]), torch.tensor(w, [2, 1, 2, 2]), torch.tensor(b));
    }

    [Fact]
    public void QLinearConvWithAZeroToSixOutputRangeIsConvolutionFollowedByReluSix()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 1, 5, 5) * 1.5f;
        Tensor actual = QuantisedConv(Wq, WScale, WZero, Bias, 6f / 255, 0).Run(x);
        Tensor expected = HandDequantisedConv(x);
        Assert.True(expected.max().item<float>() > 6 && expected.min().item<float>() < 0, "the test needs values on both sides of [0, 6]");
        AssertClose(expected.clamp(0, 6), actual);
    }

    [Fact]
    public void QLinearConvWithAZeroToHighOutputRangeIsReluByDefaultAndSaturatesOnRequest()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 1, 5, 5) * 1.2f;   // inside the input's quantised range [−2.56, 2.54], so saturation there is moot
        Tensor expected = HandDequantisedConv(x);
        const float scale = 0.01f;   // range [0, 2.55]
        Assert.True(expected.max().item<float>() > 2.55f);
        AssertClose(expected.clamp(min: 0), QuantisedConv(Wq, WScale, WZero, Bias, scale, 0).Run(x));
        AssertClose(expected.clamp(0, 255 * scale),
            QuantisedConv(Wq, WScale, WZero, Bias, scale, 0).Run(x, new OnnxImportOptions(QuantizedRangePolicy.Saturate)));
    }

    [Fact]
    public void QLinearConvWithASignedOutputRangeIsUnclampedByDefaultAndSaturatesOnRequest()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 1, 5, 5) * 1.2f;
        Tensor expected = HandDequantisedConv(x);
        const float scale = 0.02f;   // zero point 120: range [−2.4, 2.7]
        Assert.True(expected.max().item<float>() > 135 * scale && expected.min().item<float>() < -120 * scale);
        AssertClose(expected, QuantisedConv(Wq, WScale, WZero, Bias, scale, 120).Run(x));
        AssertClose(expected.clamp(-120 * scale, 135 * scale),
            QuantisedConv(Wq, WScale, WZero, Bias, scale, 120).Run(x, new OnnxImportOptions(QuantizedRangePolicy.Saturate)));
    }

    [Fact]
    public void QLinearAddAddsTheDequantisedConstant()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 3);
        byte[] bq = [0, 100, 255];
        Tensor actual = new OnnxGraphBuilder(opset: 12)
            .Float("xs", [0.05f]).UInt8("xz", [128]).UInt8("b", bq, 3).Float("bs", [0.01f]).UInt8("bz", [90]).Float("ys", [0.06f]).UInt8("yz", [100])
            .Node("QuantizeLinear", ["x", "xs", "xz"], "xq")
            .Node("QLinearAdd", ["xq", "xs", "xz", "b", "bs", "bz", "ys", "yz"], ["yq"], "com.microsoft")
            .Node("DequantizeLinear", ["yq", "ys", "yz"], "y").Run(x);
        float[] b = bq.Select(q => (q - 90) * 0.01f).ToArray();
        AssertClose(torch.tensor(Values(x).Select((v, i) => v + b[i % 3]).ToArray(), [2, 3]), actual);
    }

    [Fact]
    public void QLinearMatMulDequantisesItsWeightPerColumn()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(2, 3);
        sbyte[] wq = [10, -20, 30, 40, -50, 60];   // 3×2
        float[] ws = [0.1f, 0.01f];
        sbyte[] wz = [1, -2];
        Tensor actual = new OnnxGraphBuilder(opset: 12)
            .Float("xs", [0.05f]).UInt8("xz", [128]).Int8("w", wq, 3, 2).Float("ws", ws, 2).Int8("wz", wz, 2).Float("ys", [0.1f]).UInt8("yz", [128])
            .Node("QuantizeLinear", ["x", "xs", "xz"], "xq")
            .Node("QLinearMatMul", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz"], "yq")
            .Node("DequantizeLinear", ["yq", "ys", "yz"], "y").Run(x);
        float[] xv = Values(x);
        var expected = new float[4];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 3; k++)
                    expected[i * 2 + j] += xv[i * 3 + k] * (wq[k * 2 + j] - wz[j]) * ws[j];
        AssertClose(torch.tensor(expected, [2, 2]), actual);
    }

    [Fact]
    public void QLinearGlobalAveragePoolAveragesTheRealValues()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(1, 2, 3, 3).relu();
        Tensor actual = new OnnxGraphBuilder(opset: 12)
            .Float("xs", [0.01f]).UInt8("xz", [0]).Float("ys", [0.005f]).UInt8("yz", [0])
            .Node("QuantizeLinear", ["x", "xs", "xz"], "xq")
            .Node("QLinearGlobalAveragePool", ["xq", "xs", "xz", "ys", "yz"], ["yq"], "com.microsoft")
            .Node("DequantizeLinear", ["yq", "ys", "yz"], "y").Run(x);
        float[] v = Values(x);
        AssertClose(torch.tensor(new[] { v.Take(9).Average(), v.Skip(9).Average() }, [1, 2, 1, 1]), actual);
    }

    [Fact]
    public void QdqGraphFoldsWeightDequantisationAtLoadAndRunsTheFloatConvolution()
    {
        using var scope = NewDisposeScope();
        Tensor x = Pattern(1, 1, 5, 5) * 1.5f;
        OnnxGraphBuilder graph = new OnnxGraphBuilder(opset: 13)
            .Float("xs", [XScale]).UInt8("xz", [XZero]).Int8("wq", Wq, 2, 1, 2, 2).Float("ws", WScale, 2).Int8("wz", WZero, 2)
            .Float("b", [Bias[0] * XScale * WScale[0], Bias[1] * XScale * WScale[1]], 2).Float("ys", [6f / 255]).UInt8("yz", [0])
            .Node("QuantizeLinear", ["x", "xs", "xz"], "xq")
            .Node("DequantizeLinear", ["xq", "xs", "xz"], "xd")
            .Node("DequantizeLinear", ["wq", "ws", "wz"], "w", Int("axis", 0))
            .Node("Conv", ["xd", "w", "b"], "c", Ints("pads", 0, 0, 1, 1))
            .Node("QuantizeLinear", ["c", "ys", "yz"], "cq")
            .Node("DequantizeLinear", ["cq", "ys", "yz"], "y");
        using OnnxGraphModule module = graph.Load();
        Assert.Equal(["QuantizeLinear", "DequantizeLinear", "Conv", "QuantizeLinear", "DequantizeLinear"], module.Nodes.Select(n => n.OpType));
        Assert.NotNull(module.ConstantOf("w"));
        using var noGrad = torch.no_grad();
        AssertClose(HandDequantisedConv(x).clamp(0, 6), module.call(x));
    }
}
