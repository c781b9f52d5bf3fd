using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// The ONNX operators CamStudio executes, each built once per node at load time into an <see cref="OnnxKernel"/> made of
/// differentiable TorchSharp ops. Semantics and attribute defaults follow the ONNX operator spec (onnx/docs/Operators.md);
/// the quantised operators live in <see cref="QuantizedOperators"/>.
/// </summary>
internal static class OnnxOperators
{
    public const string DefaultDomain = "";

    public const string MicrosoftDomain = "com.microsoft";

    private static readonly Dictionary<(string Domain, string OpType), Func<OnnxNodeContext, OnnxKernel>> CoreBuilders = new()
    {
        [(DefaultDomain, "Conv")] = Conv,
        [(DefaultDomain, "ConvTranspose")] = ConvTranspose,
        [(DefaultDomain, "BatchNormalization")] = BatchNormalization,
        [(DefaultDomain, "Relu")] = _ => Unary(x => F.relu(x)),
        [(DefaultDomain, "Sigmoid")] = _ => Unary(x => x.sigmoid()),
        [(DefaultDomain, "Tanh")] = _ => Unary(x => x.tanh()),
        [(DefaultDomain, "LeakyRelu")] = c => { double alpha = c.Float("alpha", 0.01f); return Unary(x => F.leaky_relu(x, alpha)); },
        [(DefaultDomain, "HardSigmoid")] = c =>
        {
            double alpha = c.Float("alpha", 0.2f), beta = c.Float("beta", 0.5f);
            return Unary(x => (x * alpha + beta).clamp(0, 1));
        },
        [(DefaultDomain, "HardSwish")] = _ => Unary(x => x * (x / 6 + 0.5).clamp(0, 1)),
        [(DefaultDomain, "Clip")] = Clip,
        [(DefaultDomain, "Add")] = _ => Binary((a, b) => a + b),
        [(DefaultDomain, "Sub")] = _ => Binary((a, b) => a - b),
        [(DefaultDomain, "Mul")] = _ => Binary((a, b) => a * b),
        [(DefaultDomain, "Div")] = _ => Binary((a, b) => a.is_floating_point() ? a / b : a.div(b, RoundingMode.trunc)),
        [(DefaultDomain, "MaxPool")] = c => Pool(c, isMax: true),
        [(DefaultDomain, "AveragePool")] = c => Pool(c, isMax: false),
        [(DefaultDomain, "GlobalAveragePool")] = _ => Unary(x => x.mean(SpatialDims(x), keepdim: true)),
        [(DefaultDomain, "GlobalMaxPool")] = _ => Unary(x => x.amax(SpatialDims(x), keepdim: true)),
        [(DefaultDomain, "Gemm")] = Gemm,
        [(DefaultDomain, "MatMul")] = _ => Binary(OnnxShapeCheck.MatMul),
        [(DefaultDomain, "Flatten")] = Flatten,
        [(DefaultDomain, "Reshape")] = Reshape,
        [(DefaultDomain, "Squeeze")] = Squeeze,
        [(DefaultDomain, "Unsqueeze")] = Unsqueeze,
        [(DefaultDomain, "Concat")] = c => { long axis = c.Int("axis", 0); return inputs => [torch.cat(inputs.Where(t => t is not null).Select(t => t!).ToArray(), axis)]; },
        [(DefaultDomain, "Split")] = Split,
        [(DefaultDomain, "Slice")] = Slice,
        [(DefaultDomain, "Pad")] = Pad,
        [(DefaultDomain, "Transpose")] = Transpose,
        [(DefaultDomain, "Softmax")] = Softmax,
        [(DefaultDomain, "Dropout")] = c => inputs => c.Node.Output.Count > 1
            ? [inputs[0]!.alias(), torch.ones_like(inputs[0]!, dtype: ScalarType.Bool)]
            : [inputs[0]!.alias()],
        [(DefaultDomain, "Identity")] = _ => Unary(x => x.alias()),
        [(DefaultDomain, "Shape")] = Shape,
        [(DefaultDomain, "Gather")] = Gather,
        [(DefaultDomain, "Cast")] = Cast,
        [(DefaultDomain, "CastLike")] = _ => Binary((x, like) => x.dtype == like.dtype ? x.alias() : x.to_type(like.dtype)),
        [(DefaultDomain, "QuantizeLinear")] = QuantizedOperators.QuantizeLinear,
        [(DefaultDomain, "DequantizeLinear")] = QuantizedOperators.DequantizeLinear,
        [(DefaultDomain, "QLinearConv")] = QuantizedOperators.QLinearConv,
        [(DefaultDomain, "QLinearMatMul")] = QuantizedOperators.QLinearMatMul,
        [(MicrosoftDomain, "QuantizeLinear")] = QuantizedOperators.QuantizeLinear,
        [(MicrosoftDomain, "DequantizeLinear")] = QuantizedOperators.DequantizeLinear,
        [(MicrosoftDomain, "QLinearAdd")] = QuantizedOperators.QLinearAdd,
        [(MicrosoftDomain, "QLinearMul")] = QuantizedOperators.QLinearMul,
        [(MicrosoftDomain, "QLinearGlobalAveragePool")] = QuantizedOperators.QLinearGlobalAveragePool,
    };

    /// <summary>Every operator: the core ones above and those of the element-wise, tensor, transformer and layout groups.</summary>
    private static readonly Dictionary<(string Domain, string OpType), Func<OnnxNodeContext, OnnxKernel>> Builders =
        CoreBuilders.Concat(OnnxElementwiseOperators.Builders).Concat(OnnxTensorOperators.Builders).Concat(OnnxTransformerOperators.Builders)
            .Concat(OnnxLayoutOperators.Builders)
            .ToDictionary(p => p.Key, p => p.Value);

    /// <summary>"Conv", or "com.microsoft.QLinearAdd" outside the default domain: how an operator is named in messages.</summary>
    public static string DisplayName(string domain, string opType) =>
        IsDefaultDomain(domain) ? opType : $"{domain}.{opType}";

    public static bool IsSupported(string domain, string opType) =>
        opType == "Constant" && IsDefaultDomain(domain) || Builders.ContainsKey((Normalise(domain), opType));

    public static OnnxKernel Build(OnnxNodeContext context) =>
        Builders[(Normalise(context.Node.Domain), context.Node.OpType)](context);

    private static bool IsDefaultDomain(string domain) => domain is "" or "ai.onnx";

    private static string Normalise(string domain) => IsDefaultDomain(domain) ? DefaultDomain : domain;

    internal static OnnxKernel Unary(Func<Tensor, Tensor> op) => inputs => [op(inputs[0]!)];

    internal static OnnxKernel Binary(Func<Tensor, Tensor, Tensor> op) => inputs => [op(inputs[0]!, inputs[1]!)];

    internal static long[] SpatialDims(Tensor x) => Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i).ToArray();

    private static OnnxKernel Clip(OnnxNodeContext c)
    {
        if (c.Opset < 11)
        {
            float min = c.Float("min", float.NegativeInfinity), max = c.Float("max", float.PositiveInfinity);
            return Unary(x => x.clamp(min, max));
        }
        return inputs =>
        {
            Tensor x = inputs[0]!;
            Tensor? min = inputs.Length > 1 ? inputs[1] : null, max = inputs.Length > 2 ? inputs[2] : null;
            if (min is null && max is null)
                return [x.alias()];
            // Integer inputs (shape arithmetic) clamp with integer bounds so the result keeps its type.
            if (!x.is_floating_point())
                return [x.clamp(min is null ? null : OnnxNodeContext.Longs(min)[0], max is null ? null : OnnxNodeContext.Longs(max)[0])];
            return [x.clamp(min is null ? null : OnnxNodeContext.Scalar(min), max is null ? null : OnnxNodeContext.Scalar(max))];
        };
    }

    // ---- convolution and pooling -------------------------------------------------------------------------------

    /// <summary>Window geometry shared by Conv, ConvTranspose and the pools, with auto_pad resolved per input size.</summary>
    internal sealed record Window(long[] Kernel, long[] Strides, long[] Dilations, long[] Pads, string AutoPad, bool CeilMode)
    {
        public static Window From(OnnxNodeContext c, long[] kernel)
        {
            int n = kernel.Length;
            long[] strides = c.Ints("strides") ?? Enumerable.Repeat(1L, n).ToArray();
            long[] dilations = c.Ints("dilations") ?? Enumerable.Repeat(1L, n).ToArray();
            long[] pads = c.Ints("pads") ?? new long[2 * n];
            string autoPad = c.String("auto_pad", "NOTSET");
            if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
                throw new InvalidDataException($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
            if (strides.Length != n || dilations.Length != n || pads.Length != 2 * n)
                throw new InvalidDataException($"strides/dilations/pads do not match a {n}-D kernel");
            return new Window(kernel, strides, dilations, pads, autoPad, c.Int("ceil_mode", 0) != 0);
        }

        /// <summary>Begin and end padding per spatial axis for an input of the given spatial size (ONNX auto_pad rules).</summary>
        public (long[] Begin, long[] End) PadsFor(long[] spatial)
        {
            int n = Kernel.Length;
            var begin = new long[n];
            var end = new long[n];
            for (int i = 0; i < n; i++)
            {
                switch (AutoPad)
                {
                    case "VALID":
                        break;
                    case "SAME_UPPER" or "SAME_LOWER":
                        long output = (spatial[i] + Strides[i] - 1) / Strides[i];
                        long total = Math.Max(0, (output - 1) * Strides[i] + (Kernel[i] - 1) * Dilations[i] + 1 - spatial[i]);
                        long small = total / 2, large = total - small;
                        (begin[i], end[i]) = AutoPad == "SAME_UPPER" ? (small, large) : (large, small);
                        break;
                    default:
                        begin[i] = Pads[i];
                        end[i] = Pads[i + n];
                        break;
                }
            }
            return (begin, end);
        }
    }

    /// <summary>F.pad's layout: pairs from the last axis backwards.</summary>
    internal static long[] TorchPads(long[] begin, long[] end)
    {
        var pads = new long[2 * begin.Length];
        for (int i = 0; i < begin.Length; i++)
        {
            int axis = begin.Length - 1 - i;
            pads[2 * i] = begin[axis];
            pads[2 * i + 1] = end[axis];
        }
        return pads;
    }

    private static long[] SpatialShape(Tensor x) => x.shape.Skip(2).ToArray();

    /// <summary>1-D windows run as 2-D ones over a height of 1 so every op has one code path.</summary>
    private static Tensor As2D(Tensor x, int spatialRank) => spatialRank == 1 ? x.unsqueeze(2) : x.alias();

    private static Tensor From2D(Tensor y, int spatialRank) => spatialRank == 1 ? y.squeeze(2) : y;

    private static long[] Lift(long[] values, long one) => values.Length == 1 ? [one, values[0]] : values;

    private static void RequireSpatialRank(int rank, string op)
    {
        if (rank is not (1 or 2))
            throw new InvalidDataException($"{op} over {rank} spatial axes is not supported (1-D and 2-D are)");
    }

    private static OnnxKernel Conv(OnnxNodeContext c)
    {
        long group = c.Int("group", 1);
        Tensor? constantWeight = c.Constant(1);
        long[]? kernel = c.Ints("kernel_shape") ?? constantWeight?.shape.Skip(2).ToArray();
        if (kernel is null)
            throw new InvalidDataException("its weight is not a constant and it has no kernel_shape");
        RequireSpatialRank(kernel.Length, "Conv");
        Window window = Window.From(c, kernel);
        return inputs => [Convolve(inputs[0]!, inputs[1]!, inputs.Length > 2 ? inputs[2] : null, window, group)];
    }

    /// <summary>Conv with ONNX padding: symmetric pads go to the convolution, asymmetric ones become an explicit zero pad.</summary>
    internal static Tensor Convolve(Tensor x, Tensor weight, Tensor? bias, Window window, long group)
    {
        int n = window.Kernel.Length;
        (long[] begin, long[] end) = window.PadsFor(SpatialShape(x));
        using var scope = NewDisposeScope();
        Tensor input = As2D(x, n), w = As2D(weight, n);
        long[] padding;
        if (begin.SequenceEqual(end))
            padding = begin;
        else
        {
            input = F.pad(input, TorchPads(Lift(begin, 0), Lift(end, 0)));
            padding = new long[n];
        }
        Tensor y = F.conv2d(input, w, bias, strides: Lift(window.Strides, 1), padding: Lift(padding, 0),
            dilation: Lift(window.Dilations, 1), groups: group);
        return From2D(y, n).MoveToOuterDisposeScope();
    }

    private static OnnxKernel ConvTranspose(OnnxNodeContext c)
    {
        long group = c.Int("group", 1);
        Tensor weight = c.RequireConstant(1, "weight");
        long[] kernel = c.Ints("kernel_shape") ?? weight.shape.Skip(2).ToArray();
        if (kernel.Length != 2)
            throw new InvalidDataException("ConvTranspose is supported over 2 spatial axes");
        Window window = Window.From(c, kernel);
        long[] outputPadding = c.Ints("output_padding") ?? new long[2];
        if (c.Has("output_shape") || window.AutoPad is "SAME_UPPER" or "SAME_LOWER")
            throw new InvalidDataException("ConvTranspose with output_shape or SAME auto_pad is not supported (give explicit pads)");
        return inputs =>
        {
            Tensor x = inputs[0]!;
            using var scope = NewDisposeScope();
            // Full transposed convolution, then crop the ONNX pads (they may differ at begin and end).
            Tensor full = F.conv_transpose2d(x, inputs[1]!, inputs.Length > 2 ? inputs[2] : null, strides: window.Strides,
                padding: [0, 0], output_padding: outputPadding, groups: group, dilation: window.Dilations);
            long[] pads = window.AutoPad == "VALID" ? new long[4] : window.Pads;
            Tensor y = full[.., .., TensorIndex.Slice(pads[0], full.shape[2] - pads[2]), TensorIndex.Slice(pads[1], full.shape[3] - pads[3])];
            return [y.MoveToOuterDisposeScope()];
        };
    }

    private static OnnxKernel BatchNormalization(OnnxNodeContext c)
    {
        double epsilon = c.Float("epsilon", 1e-5f);
        return inputs =>
        {
            Tensor x = inputs[0]!, scale = inputs[1]!, bias = inputs[2]!, mean = inputs[3]!, variance = inputs[4]!;
            return [F.batch_norm(x, mean, variance, scale, bias, training: false, eps: epsilon)];
        };
    }

    private static OnnxKernel Pool(OnnxNodeContext c, bool isMax)
    {
        long[] kernel = c.Ints("kernel_shape") ?? throw new InvalidDataException("it has no kernel_shape");
        RequireSpatialRank(kernel.Length, isMax ? "MaxPool" : "AveragePool");
        if (isMax && c.Node.Output.Count > 1 && c.Node.Output[1].Length > 0)
            throw new InvalidDataException("MaxPool's Indices output is not supported");
        Window window = Window.From(c, kernel);
        if (!isMax && window.Dilations.Any(d => d != 1))
            throw new InvalidDataException("AveragePool with dilations is not supported");
        bool countIncludePad = c.Int("count_include_pad", 0) != 0;
        int n = kernel.Length;
        return inputs =>
        {
            Tensor x = inputs[0]!;
            (long[] begin, long[] end) = window.PadsFor(SpatialShape(x));
            using var scope = NewDisposeScope();
            Tensor input = As2D(x, n);
            long[] torchPads = TorchPads(Lift(begin, 0), Lift(end, 0));
            bool padded = torchPads.Any(p => p != 0);
            long[] k = Lift(kernel, 1), s = Lift(window.Strides, 1);
            Tensor y;
            if (isMax)
            {
                // Explicit -inf padding handles asymmetric pads; the pool itself then pads nothing.
                Tensor source = padded ? F.pad(input, torchPads, value: double.NegativeInfinity) : input;
                y = F.max_pool2d(source, k, s, padding: [0, 0], dilation: Lift(window.Dilations, 1), ceil_mode: window.CeilMode);
            }
            else if (!padded || countIncludePad)
            {
                // Padded zeros are real elements here, so count_include_pad=1 falls out of a plain average.
                Tensor source = padded ? F.pad(input, torchPads) : input;
                y = F.avg_pool2d(source, k, s, padding: [0, 0], ceil_mode: window.CeilMode, count_include_pad: true);
            }
            else
            {
                // count_include_pad=0: the window sum divided by how many real (unpadded) elements it covers.
                Tensor sums = F.avg_pool2d(F.pad(input, torchPads), k, s, padding: [0, 0], ceil_mode: window.CeilMode, count_include_pad: true);
                Tensor ones = torch.ones(1, 1, input.shape[2], input.shape[3], dtype: input.dtype, device: input.device);
                Tensor share = F.avg_pool2d(F.pad(ones, torchPads), k, s, padding: [0, 0], ceil_mode: window.CeilMode, count_include_pad: true);
                y = sums / share;
            }
            return [From2D(y, n).MoveToOuterDisposeScope()];
        };
    }

    // ---- reductions and linear algebra -----------------------------------------------------------------------

    private static OnnxKernel Gemm(OnnxNodeContext c)
    {
        double alpha = c.Float("alpha", 1f), beta = c.Float("beta", 1f);
        bool transA = c.Int("transA", 0) != 0, transB = c.Int("transB", 0) != 0;
        return inputs =>
        {
            using var scope = NewDisposeScope();
            Tensor a = transA ? inputs[0]!.t() : inputs[0]!;
            Tensor b = transB ? inputs[1]!.t() : inputs[1]!;
            Tensor y = OnnxShapeCheck.MatMul(a, b);
            if (alpha != 1)
                y = y * alpha;
            if (inputs.Length > 2 && inputs[2] is { } bias)
                y = beta == 1 ? y + bias : y + bias * beta;
            return [y.MoveToOuterDisposeScope()];
        };
    }

    // ---- shapes -------------------------------------------------------------------------------------------------

    private static long NormaliseAxis(long axis, long rank) => axis < 0 ? axis + rank : axis;

    private static OnnxKernel Flatten(OnnxNodeContext c)
    {
        long axis = c.Int("axis", 1);
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long a = NormaliseAxis(axis, x.dim());
            long outer = x.shape.Take((int)a).Aggregate(1L, (p, d) => p * d);
            long inner = x.shape.Skip((int)a).Aggregate(1L, (p, d) => p * d);
            return [x.reshape(outer, inner)];
        };
    }

    /// <remarks>
    /// Batch rule: exporters often bake batch 1 into a Reshape target (e.g. a constant [1, 1280]). When the target is a
    /// load-time constant whose first entry is a literal 1 and the input's first axis is not 1, that entry is taken to be
    /// the batch axis and replaced by the input's batch size, so batches of N photos run through such graphs.
    /// </remarks>
    private static OnnxKernel Reshape(OnnxNodeContext c)
    {
        bool allowZero = c.Int("allowzero", 0) != 0;
        bool constantTarget = c.Constant(1) is not null;
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long[] target = OnnxNodeContext.Longs(inputs[1]!);
            if (constantTarget && target.Length > 0 && target[0] == 1 && x.dim() > 0 && x.shape[0] != 1)
                target[0] = x.shape[0];
            for (int i = 0; i < target.Length; i++)
            {
                if (target[i] == 0 && !allowZero)
                    target[i] = i < x.dim() ? x.shape[i] : throw new InvalidDataException($"Reshape target [{string.Join(", ", target)}] copies axis {i} of a {x.dim()}-D input");
            }
            return [x.reshape(target)];
        };
    }

    private static OnnxKernel Squeeze(OnnxNodeContext c) => inputs =>
    {
        Tensor x = inputs[0]!;
        long[]? axes = c.AxesFromAttributeOrInput(inputs, 1);
        if (axes is null || axes.Length == 0)
            return [x.squeeze()];
        long[] dims = axes.Select(a => NormaliseAxis(a, x.dim())).ToArray();
        long[] shape = x.shape.Where((_, i) => !dims.Contains(i)).ToArray();
        return [x.reshape(shape)];
    };

    private static OnnxKernel Unsqueeze(OnnxNodeContext c) => inputs =>
    {
        Tensor x = inputs[0]!;
        long[] axes = c.AxesFromAttributeOrInput(inputs, 1) ?? throw new InvalidDataException("Unsqueeze has no axes");
        long rank = x.dim() + axes.Length;
        var inserted = axes.Select(a => NormaliseAxis(a, rank)).ToHashSet();
        var shape = new List<long>();
        int next = 0;
        for (long i = 0; i < rank; i++)
            shape.Add(inserted.Contains(i) ? 1 : x.shape[next++]);
        return [x.reshape(shape.ToArray())];
    };

    private static OnnxKernel Split(OnnxNodeContext c)
    {
        long axis = c.Int("axis", 0);
        int outputs = c.Node.Output.Count;
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long a = NormaliseAxis(axis, x.dim());
            long length = x.shape[a];
            long[]? sizes = c.Ints("split") ?? (inputs.Length > 1 && inputs[1] is { } s ? OnnxNodeContext.Longs(s) : null);
            if (sizes is null)
            {
                // Equal parts; with opset 18's num_outputs the last part may be smaller.
                long part = (length + outputs - 1) / outputs;
                sizes = Enumerable.Range(0, outputs).Select(i => Math.Min(part, Math.Max(0, length - i * part))).ToArray();
            }
            if (sizes.Sum() != length)
                throw new InvalidDataException($"Split sizes [{string.Join(", ", sizes)}] do not add up to axis {a} of length {length}");
            return x.split(sizes, a);
        };
    }

    private static OnnxKernel Slice(OnnxNodeContext c) => inputs =>
    {
        Tensor x = inputs[0]!;
        long[] starts, ends;
        long[]? axes, steps = null;
        if (c.Opset < 10)
        {
            starts = c.Ints("starts") ?? throw new InvalidDataException("Slice has no starts");
            ends = c.Ints("ends") ?? throw new InvalidDataException("Slice has no ends");
            axes = c.Ints("axes");
        }
        else
        {
            starts = OnnxNodeContext.Longs(inputs[1]!);
            ends = OnnxNodeContext.Longs(inputs[2]!);
            axes = inputs.Length > 3 && inputs[3] is { } ax ? OnnxNodeContext.Longs(ax) : null;
            steps = inputs.Length > 4 && inputs[4] is { } st ? OnnxNodeContext.Longs(st) : null;
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        using var scope = NewDisposeScope();
        Tensor y = x.alias();
        for (int i = 0; i < axes.Length; i++)
        {
            long axis = NormaliseAxis(axes[i], x.dim());
            long dim = x.shape[axis], step = steps[i];
            if (step == 0)
                throw new InvalidDataException("Slice step 0");
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (step > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
                y = y.slice(axis, start, Math.Max(start, end), step);
            }
            else
            {
                // Negative steps walk backwards from start (inclusive) to end (exclusive); torch slices only forwards.
                start = Math.Clamp(start, 0, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
                Tensor index = start > end ? torch.arange(start, end, step, dtype: ScalarType.Int64, device: x.device)
                                           : torch.empty(0, dtype: ScalarType.Int64, device: x.device);
                y = y.index_select(axis, index);
            }
        }
        return [y.MoveToOuterDisposeScope()];
    };

    private static OnnxKernel Pad(OnnxNodeContext c)
    {
        string mode = c.String("mode", "constant");
        PaddingModes torchMode = mode switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            "wrap" => PaddingModes.Circular,
            _ => throw new InvalidDataException($"Pad mode '{mode}' is not supported"),
        };
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long rank = x.dim();
            long[] pads;
            double value;
            if (c.Opset < 11)
            {
                pads = c.Ints("pads") ?? throw new InvalidDataException("Pad has no pads");
                value = c.Float("value", 0f);
            }
            else
            {
                pads = OnnxNodeContext.Longs(inputs[1]!);
                value = inputs.Length > 2 && inputs[2] is { } v ? OnnxNodeContext.Scalar(v) : 0;
            }
            long[] axes = inputs.Length > 3 && inputs[3] is { } ax
                ? OnnxNodeContext.Longs(ax).Select(a => NormaliseAxis(a, rank)).ToArray()
                : Enumerable.Range(0, (int)rank).Select(i => (long)i).ToArray();
            if (pads.Length != 2 * axes.Length)
                throw new InvalidDataException($"Pad has {pads.Length} pads for {axes.Length} axes");
            var begin = new long[rank];
            var end = new long[rank];
            for (int i = 0; i < axes.Length; i++)
            {
                begin[axes[i]] = pads[i];
                end[axes[i]] = pads[i + axes.Length];
            }
            // F.pad takes pairs from the last axis backwards, and only as many axes as are padded.
            int first = Enumerable.Range(0, (int)rank).FirstOrDefault(i => begin[i] != 0 || end[i] != 0, (int)rank);
            if (first == rank)
                return [x.alias()];
            if (torchMode != PaddingModes.Constant)
            {
                // Non-constant modes pad the last 1–3 axes and need at least all but the first two (N, C) of a 3–5-D tensor.
                int padded = Math.Max((int)rank - first, Math.Max(1, (int)rank - 2));
                if (padded > Math.Min(3, (int)rank - 1))
                    throw new InvalidDataException($"Pad mode '{mode}' cannot pad axis {first} of a {rank}-D tensor");
                first = (int)rank - padded;
            }
            long[] torchPads = TorchPads(begin[first..], end[first..]);
            return [torchMode == PaddingModes.Constant ? F.pad(x, torchPads, torchMode, value) : F.pad(x, torchPads, torchMode)];
        };
    }

    private static OnnxKernel Transpose(OnnxNodeContext c)
    {
        long[]? perm = c.Ints("perm");
        return Unary(x => x.permute(perm ?? Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i).ToArray()));
    }

    private static OnnxKernel Softmax(OnnxNodeContext c)
    {
        if (c.Opset >= 13)
        {
            long axis = c.Int("axis", -1);
            return Unary(x => x.softmax(axis));
        }
        // Before opset 13 the input is coerced to 2-D at axis (default 1) and normalised over the flattened tail.
        long legacyAxis = c.Int("axis", 1);
        return Unary(x =>
        {
            long a = NormaliseAxis(legacyAxis, x.dim());
            long outer = x.shape.Take((int)a).Aggregate(1L, (p, d) => p * d);
            using var scope = NewDisposeScope();
            return x.reshape(outer, -1).softmax(1).reshape(x.shape).MoveToOuterDisposeScope();
        });
    }

    private static OnnxKernel Shape(OnnxNodeContext c)
    {
        long? start = c.Attribute("start")?.I, end = c.Attribute("end")?.I;
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long rank = x.dim();
            long s = Math.Clamp(NormaliseAxis(start ?? 0, rank), 0, rank), e = Math.Clamp(NormaliseAxis(end ?? rank, rank), 0, rank);
            long[] dims = x.shape[(int)s..(int)Math.Max(s, e)];
            return [torch.tensor(dims, dtype: ScalarType.Int64, device: x.device)];
        };
    }

    private static OnnxKernel Gather(OnnxNodeContext c)
    {
        long axis = c.Int("axis", 0);
        return inputs =>
        {
            Tensor data = inputs[0]!, indices = inputs[1]!;
            long a = NormaliseAxis(axis, data.dim());
            using var scope = NewDisposeScope();
            Tensor index = indices.to_type(ScalarType.Int64);
            index = torch.where(index < 0, index + data.shape[a], index);
            Tensor picked = data.index_select(a, index.flatten());
            long[] shape = [.. data.shape.Take((int)a), .. indices.shape, .. data.shape.Skip((int)a + 1)];
            return [picked.reshape(shape).MoveToOuterDisposeScope()];
        };
    }

    private static OnnxKernel Cast(OnnxNodeContext c)
    {
        var to = (global::Onnx.TensorProto.Types.DataType)c.Int("to", 1);
        ScalarType type = to switch
        {
            // Runtime tensors are float32 (see OnnxGraphModule): half, bfloat16 and double casts land there too.
            global::Onnx.TensorProto.Types.DataType.Float or global::Onnx.TensorProto.Types.DataType.Double
                or global::Onnx.TensorProto.Types.DataType.Float16 or global::Onnx.TensorProto.Types.DataType.Bfloat16 => ScalarType.Float32,
            global::Onnx.TensorProto.Types.DataType.Int64 => ScalarType.Int64,
            global::Onnx.TensorProto.Types.DataType.Int32 => ScalarType.Int32,
            global::Onnx.TensorProto.Types.DataType.Int16 => ScalarType.Int16,
            global::Onnx.TensorProto.Types.DataType.Int8 => ScalarType.Int8,
            global::Onnx.TensorProto.Types.DataType.Uint8 => ScalarType.Byte,
            global::Onnx.TensorProto.Types.DataType.Bool => ScalarType.Bool,
            _ => throw new InvalidDataException($"Cast to {to} is not supported"),
        };
        return Unary(x => x.to_type(type));
    }
}
