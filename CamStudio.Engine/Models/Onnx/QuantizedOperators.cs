using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Quantised operators (QOperator form: QLinear*; QDQ form: QuantizeLinear/DequantizeLinear around float ops) executed in
/// float32. A quantised value q with scale s and zero point z stands for (q − z)·s; CamStudio keeps every activation as
/// that real value (no rounding is simulated) so gradients flow, and dequantises constant weights once at load.
/// </summary>
/// <remarks>
/// Integer tensors reaching these ops are constants (weights, biases); runtime tensors are already real-valued floats.
/// Quantised outputs are clamped according to <see cref="QuantizedRangePolicy"/>; see <see cref="QuantizedRange"/>.
/// </remarks>
internal static class QuantizedOperators
{
    /// <summary>(q − z)·s for integer tensors, per <paramref name="axis"/> when the scale is a vector; real-valued floats pass through.</summary>
    public static Tensor Real(Tensor value, Tensor scale, Tensor? zeroPoint, long axis = 1)
    {
        if (value.is_floating_point())
            return value.alias();
        using var scope = NewDisposeScope();
        Tensor s = AlongAxis(scale.to_type(ScalarType.Float32), value, axis);
        Tensor q = value.to_type(ScalarType.Float32);
        if (zeroPoint is not null)
            q = q - AlongAxis(zeroPoint.to_type(ScalarType.Float32), value, axis);
        return (q * s).MoveToOuterDisposeScope();
    }

    /// <summary>A 1-D per-axis parameter reshaped to broadcast along <paramref name="axis"/> of <paramref name="like"/>.</summary>
    private static Tensor AlongAxis(Tensor parameter, Tensor like, long axis)
    {
        if (parameter.dim() == 0 || parameter.numel() == 1 && like.dim() == 0)
            return parameter.reshape([]);
        if (parameter.dim() != 1)
            return parameter.alias();
        long a = axis < 0 ? axis + like.dim() : axis;
        var shape = Enumerable.Repeat(1L, (int)like.dim()).ToArray();
        shape[a] = parameter.shape[0];
        return parameter.reshape(shape);
    }

    /// <summary>Dequantises a constant input once, at load, owned by the module; null when the input is a runtime tensor.</summary>
    private static Tensor? RealConstant(OnnxNodeContext c, int value, int scale, int zeroPoint, long axis = 1)
    {
        Tensor? q = c.Constant(value);
        if (q is null)
            return null;
        Tensor s = c.RequireConstant(scale, "scale");
        return c.Keep(Real(q, s, c.Constant(zeroPoint), axis));
    }

    private static Tensor Input(Tensor?[] inputs, Tensor? precomputed, int value, int scale, int zeroPoint, long axis = 1) =>
        precomputed ?? Real(inputs[value]!, inputs[scale]!, zeroPoint < inputs.Length ? inputs[zeroPoint] : null, axis);

    public static OnnxKernel QuantizeLinear(OnnxNodeContext c)
    {
        QuantizedRange range = QuantizedRange.Of(c, scale: 1, zeroPoint: 2);
        // In float the quantised tensor is its own real value; only the range it could hold is kept.
        return inputs => [range.Apply(inputs[0]!)];
    }

    public static OnnxKernel DequantizeLinear(OnnxNodeContext c)
    {
        long axis = c.Int("axis", 1);
        return inputs => [Real(inputs[0]!, inputs[1]!, inputs.Length > 2 ? inputs[2] : null, axis)];
    }

    /// <summary>QLinearConv: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B (int32, scale x_scale·w_scale).</summary>
    public static OnnxKernel QLinearConv(OnnxNodeContext c)
    {
        Tensor q = c.RequireConstant(3, "weight");
        Tensor weight = RealConstant(c, 3, 4, 5, axis: 0)!;
        Tensor? bias = null;
        if (c.HasInput(8))
        {
            Tensor qBias = c.RequireConstant(8, "bias");
            using var scope = NewDisposeScope();
            Tensor scale = c.RequireConstant(1, "input scale").to_type(ScalarType.Float32) * c.RequireConstant(4, "weight scale").to_type(ScalarType.Float32);
            bias = c.Keep((qBias.to_type(ScalarType.Float32) * scale).MoveToOuterDisposeScope());
        }
        long[] kernel = c.Ints("kernel_shape") ?? q.shape.Skip(2).ToArray();
        if (kernel.Length is not (1 or 2))
            throw new InvalidDataException($"QLinearConv over {kernel.Length} spatial axes is not supported (1-D and 2-D are)");
        var window = OnnxOperators.Window.From(c, kernel);
        long group = c.Int("group", 1);
        QuantizedRange range = QuantizedRange.Of(c, scale: 6, zeroPoint: 7);
        Tensor? x0 = RealConstant(c, 0, 1, 2);
        return inputs =>
        {
            using var scope = NewDisposeScope();
            Tensor y = OnnxOperators.Convolve(Input(inputs, x0, 0, 1, 2), weight, bias, window, group);
            return [range.Apply(y).MoveToOuterDisposeScope()];
        };
    }

    /// <summary>QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point (b's scale per column).</summary>
    public static OnnxKernel QLinearMatMul(OnnxNodeContext c)
    {
        Tensor? a0 = RealConstant(c, 0, 1, 2, axis: -2), b0 = RealConstant(c, 3, 4, 5, axis: -1);
        QuantizedRange range = QuantizedRange.Of(c, scale: 6, zeroPoint: 7);
        return inputs =>
        {
            using var scope = NewDisposeScope();
            Tensor y = OnnxShapeCheck.MatMul(Input(inputs, a0, 0, 1, 2, axis: -2), Input(inputs, b0, 3, 4, 5, axis: -1));
            return [range.Apply(y).MoveToOuterDisposeScope()];
        };
    }

    /// <summary>com.microsoft QLinearAdd / QLinearMul: A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point.</summary>
    public static OnnxKernel QLinearAdd(OnnxNodeContext c) => Elementwise(c, (a, b) => a + b);

    public static OnnxKernel QLinearMul(OnnxNodeContext c) => Elementwise(c, (a, b) => a * b);

    private static OnnxKernel Elementwise(OnnxNodeContext c, Func<Tensor, Tensor, Tensor> op)
    {
        Tensor? a0 = RealConstant(c, 0, 1, 2), b0 = RealConstant(c, 3, 4, 5);
        QuantizedRange range = QuantizedRange.Of(c, scale: 6, zeroPoint: 7);
        return inputs =>
        {
            using var scope = NewDisposeScope();
            Tensor y = op(Input(inputs, a0, 0, 1, 2), Input(inputs, b0, 3, 4, 5));
            return [range.Apply(y).MoveToOuterDisposeScope()];
        };
    }

    /// <summary>com.microsoft QLinearGlobalAveragePool: X, x_scale, x_zero_point, y_scale, y_zero_point; channels_last.</summary>
    public static OnnxKernel QLinearGlobalAveragePool(OnnxNodeContext c)
    {
        bool channelsLast = c.Int("channels_last", 0) != 0;
        QuantizedRange range = QuantizedRange.Of(c, scale: 3, zeroPoint: 4);
        return inputs =>
        {
            using var scope = NewDisposeScope();
            Tensor x = Input(inputs, null, 0, 1, 2);
            long[] dims = channelsLast
                ? Enumerable.Range(1, (int)x.dim() - 2).Select(i => (long)i).ToArray()
                : OnnxOperators.SpatialDims(x);
            return [range.Apply(x.mean(dims, keepdim: true)).MoveToOuterDisposeScope()];
        };
    }
}

/// <summary>How the value range of a quantised output is respected when the graph runs in float.</summary>
public enum QuantizedRangePolicy
{
    /// <summary>
    /// Default. A uint8 output whose range starts at 0 (zero point 0) is the fused activation the quantiser folded into the
    /// op: [0, 6] (within 0.1 %) is ReLU6 → clamp(0, 6); any other [0, hi] is ReLU → clamp(min: 0), because hi is only the
    /// calibration's largest value, not part of the float model. Outputs whose range spans both signs (linear
    /// bottlenecks, residual sums, logits) are not clamped, so no gradient dies at a calibration bound.
    /// </summary>
    ActivationsOnly,

    /// <summary>Every quantised output is clamped to all it can represent, [(qmin − z)·s, (qmax − z)·s], as int8 hardware saturates.</summary>
    Saturate,
}

/// <summary>Import options for <see cref="OnnxCamModel"/> / <see cref="OnnxGraphModule"/>.</summary>
/// <param name="QuantizedRanges">How quantised output ranges are respected in float (see <see cref="QuantizedRangePolicy"/>).</param>
/// <param name="SimulateRounding">
/// Verification only: round every quantised output to its grid, ((round(y / s) + z) clamped to [qmin, qmax] − z)·s, as
/// int8 kernels do. Rounding has zero gradient almost everywhere, so never use it for gradient-based maps.
/// </param>
public sealed partial record OnnxImportOptions(QuantizedRangePolicy QuantizedRanges = QuantizedRangePolicy.ActivationsOnly, bool SimulateRounding = false)
{
    /// <summary>Default <see cref="ProbeMemoryBytes"/>: 1 GiB, far above what an image classifier needs for one photo.</summary>
    public const long DefaultProbeMemoryBytes = 1L << 30;

    public static OnnxImportOptions Default { get; } = new();

    /// <summary>
    /// Most memory the load-time probe (one photo) may hold in tensors: a model that would need more is refused by
    /// inferred shapes before the large tensor is allocated.
    /// </summary>
    public long ProbeMemoryBytes { get; init; } = DefaultProbeMemoryBytes;

    /// <summary>
    /// Whether runs reuse the values of the graph's shape arithmetic from earlier runs on the same shapes (see
    /// <see cref="OnnxShapeMemo"/>); off only to measure or check what that saves.
    /// </summary>
    public bool ReuseShapeArithmetic { get; init; } = true;

    /// <summary>Whether chains exporters spell out op by op (GELU, Linear) run as one kernel (see <see cref="OnnxFusions"/>); off only to check what that changes.</summary>
    public bool Fuse { get; init; } = true;
}

/// <summary>The clamp one quantised output gets (see <see cref="QuantizedRangePolicy"/>); none when scale/zero point are not constants.</summary>
internal readonly record struct QuantizedRange(double? Min, double? Max, (double Scale, double Zero, double QMin, double QMax)? Grid = null)
{
    private const double ReluSixTolerance = 6e-3;

    public static QuantizedRange Of(OnnxNodeContext c, int scale, int zeroPoint)
    {
        Tensor? s = c.Constant(scale);
        if (s is null || s.numel() != 1)
            return default;
        Tensor? z = c.Constant(zeroPoint);
        if (z is not null && z.numel() != 1)
            return default;
        // Without a zero point the output is uint8 with z = 0 (QuantizeLinear's default).
        bool signed = z?.dtype == ScalarType.Int8;
        double qMin = signed ? -128 : 0, qMax = signed ? 127 : 255;
        double zero = z is null ? 0 : OnnxNodeContext.Scalar(z);
        double step = OnnxNodeContext.Scalar(s);
        double lo = (qMin - zero) * step, hi = (qMax - zero) * step;
        if (c.Options.SimulateRounding)
            return new QuantizedRange(lo, hi, (step, zero, qMin, qMax));
        if (c.Options.QuantizedRanges == QuantizedRangePolicy.Saturate)
            return new QuantizedRange(lo, hi);
        if (lo != 0)
            return default;
        return Math.Abs(hi - 6) <= ReluSixTolerance ? new QuantizedRange(0, 6) : new QuantizedRange(0, null);
    }

    public Tensor Apply(Tensor x)
    {
        if (Grid is { } g)
        {
            using var scope = NewDisposeScope();
            return (((x / g.Scale).round() + g.Zero).clamp(g.QMin, g.QMax) - g.Zero).mul(g.Scale).MoveToOuterDisposeScope();
        }
        return Min is null && Max is null ? x.alias() : x.clamp(Min, Max);
    }
}
