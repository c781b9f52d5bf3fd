using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// The normalisation, attention and reduction operators transformer exports use (onnx/docs/Operators.md):
/// LayerNormalization, Einsum, LogSoftmax and the Reduce* family with axes as attribute (before opset 13 for ReduceSum,
/// 18 for the others) or as input.
/// </summary>
internal static class OnnxTransformerOperators
{
    public static IReadOnlyDictionary<(string Domain, string OpType), Func<OnnxNodeContext, OnnxKernel>> Builders { get; } =
        new Dictionary<(string, string), Func<OnnxNodeContext, OnnxKernel>>
        {
            [(OnnxOperators.DefaultDomain, "LayerNormalization")] = LayerNormalization,
            [(OnnxOperators.DefaultDomain, "Einsum")] = Einsum,
            [(OnnxOperators.DefaultDomain, "LogSoftmax")] = LogSoftmax,
            [(OnnxOperators.DefaultDomain, "ReduceMean")] = c => Reduce(c, (x, axes, keep) => x.mean(axes, keepdim: keep)),
            [(OnnxOperators.DefaultDomain, "ReduceSum")] = c => Reduce(c, (x, axes, keep) => x.sum(axes, keepdim: keep)),
            [(OnnxOperators.DefaultDomain, "ReduceMax")] = c => Reduce(c, (x, axes, keep) => x.amax(axes, keepdim: keep)),
            [(OnnxOperators.DefaultDomain, "ReduceMin")] = c => Reduce(c, (x, axes, keep) => x.amin(axes, keepdim: keep)),
            [(OnnxOperators.DefaultDomain, "ReduceProd")] = c => Reduce(c, Product),
            [(OnnxOperators.DefaultDomain, "ReduceL1")] = c => Reduce(c, (x, axes, keep) => x.abs().sum(axes, keepdim: keep)),
            [(OnnxOperators.DefaultDomain, "ReduceL2")] = c => Reduce(c, (x, axes, keep) => x.square().sum(axes, keepdim: keep).sqrt()),
            [(OnnxOperators.DefaultDomain, "ReduceSumSquare")] = c => Reduce(c, (x, axes, keep) => x.square().sum(axes, keepdim: keep)),
            [(OnnxOperators.DefaultDomain, "ReduceLogSum")] = c => Reduce(c, (x, axes, keep) => x.sum(axes, keepdim: keep).log()),
            [(OnnxOperators.DefaultDomain, "ReduceLogSumExp")] = c => Reduce(c, LogSumExp),
            [(OnnxOperators.DefaultDomain, "ArgMax")] = c => ArgExtreme(c, isMax: true),
            [(OnnxOperators.DefaultDomain, "ArgMin")] = c => ArgExtreme(c, isMax: false),
        };

    private static long NormaliseAxis(long axis, long rank) => axis < 0 ? axis + rank : axis;

    /// <summary>
    /// LayerNormalization (opset 17; Ba et al., arXiv 1607.06450): normalises over the axes from <c>axis</c> to the last,
    /// then scales and shifts (Scale and B broadcast to the normalised shape). The optional Mean and InvStdDev outputs
    /// keep the reduced axes as 1s.
    /// </summary>
    private static OnnxKernel LayerNormalization(OnnxNodeContext c)
    {
        long axis = c.Int("axis", -1);
        double epsilon = c.Float("epsilon", 1e-5f);
        int outputs = c.Node.Output.Count;
        return inputs =>
        {
            Tensor x = inputs[0]!, scale = inputs[1]!;
            Tensor? bias = inputs.Length > 2 ? inputs[2] : null;
            long a = NormaliseAxis(axis, x.dim());
            if (a < 0 || a >= x.dim())
                throw new InvalidDataException($"LayerNormalization axis {axis} is outside a {x.dim()}-D input");
            long[] normalised = x.shape[(int)a..];
            Tensor y;
            if (scale.shape.SequenceEqual(normalised) && (bias is null || bias.shape.SequenceEqual(normalised)))
                y = F.layer_norm(x, normalised, scale, bias, epsilon);
            else
            {
                y = F.layer_norm(x, normalised, null, null, epsilon) * scale;
                if (bias is not null)
                    y = y + bias;
            }
            if (outputs == 1)
                return [y];
            long[] axes = Enumerable.Range((int)a, (int)(x.dim() - a)).Select(i => (long)i).ToArray();
            Tensor mean = x.mean(axes, keepdim: true);
            Tensor inverseStd = ((x - mean).square().mean(axes, keepdim: true) + epsilon).rsqrt();
            return [y, mean, inverseStd];
        };
    }

    /// <summary>Einsum: ONNX's equation grammar (numpy's, with "..." and implicit output) is torch's; spaces are dropped.</summary>
    private static OnnxKernel Einsum(OnnxNodeContext c)
    {
        string equation = c.String("equation", "").Replace(" ", "", StringComparison.Ordinal);
        if (equation.Length == 0)
            throw new InvalidDataException("Einsum has no equation");
        int operands = equation.Split("->")[0].Split(',').Length;
        if (operands != c.InputCount)
            throw new InvalidDataException($"Einsum equation '{equation}' names {operands} operands but the node has {c.InputCount} inputs");
        return inputs => [torch.einsum(equation, inputs.Select(t => t!).ToArray())];
    }

    private static OnnxKernel LogSoftmax(OnnxNodeContext c)
    {
        if (c.Opset >= 13)
        {
            long axis = c.Int("axis", -1);
            return inputs => [inputs[0]!.log_softmax(axis)];
        }
        // Before opset 13 the input is coerced to 2-D at axis (default 1), as for Softmax.
        long legacyAxis = c.Int("axis", 1);
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long a = NormaliseAxis(legacyAxis, x.dim());
            long outer = x.shape.Take((int)a).Aggregate(1L, (p, d) => p * d);
            return [x.reshape(outer, -1).log_softmax(1).reshape(x.shape)];
        };
    }

    /// <summary>
    /// The Reduce* operators: axes from the attribute or the second input (whichever the node's opset uses), negative
    /// axes counted from the end, keepdims (default 1), and with no axes either every axis or (noop_with_empty_axes) none.
    /// </summary>
    private static OnnxKernel Reduce(OnnxNodeContext c, Func<Tensor, long[], bool, Tensor> reduce)
    {
        bool keepDims = c.Int("keepdims", 1) != 0;
        bool noopWithEmptyAxes = c.Int("noop_with_empty_axes", 0) != 0;
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long[]? axes = c.AxesFromAttributeOrInput(inputs, 1);
            if (axes is null || axes.Length == 0)
            {
                if (noopWithEmptyAxes)
                    return [x.alias()];
                axes = Enumerable.Range(0, (int)x.dim()).Select(i => (long)i).ToArray();
            }
            long[] dims = axes.Select(a => NormaliseAxis(a, x.dim())).Distinct().ToArray();
            if (dims.Any(d => d < 0 || d >= x.dim()))
                throw new InvalidDataException($"reduction axes [{string.Join(", ", axes)}] are outside a {x.dim()}-D input");
            if (x.dim() == 0)
                return [reduce(x.reshape(1), [0], false)];
            return [reduce(x, dims, keepDims)];
        };
    }

    private static Tensor Product(Tensor x, long[] axes, bool keepDims)
    {
        Tensor y = x;
        foreach (long axis in axes.OrderByDescending(a => a))
            y = y.prod(axis, keepdim: keepDims);
        return y;
    }

    /// <summary>log Σ exp, shifted by the (constant) maximum so large values do not overflow.</summary>
    private static Tensor LogSumExp(Tensor x, long[] axes, bool keepDims)
    {
        Tensor shift = x.amax(axes, keepdim: true).detach();
        shift = torch.where(shift.isinf(), torch.zeros_like(shift), shift);
        Tensor y = (x - shift).exp().sum(axes, keepdim: true).log() + shift;
        return keepDims ? y : y.reshape(x.shape.Where((_, i) => !axes.Contains(i)).ToArray());
    }

    private static OnnxKernel ArgExtreme(OnnxNodeContext c, bool isMax)
    {
        long axis = c.Int("axis", 0);
        bool keepDims = c.Int("keepdims", 1) != 0, last = c.Int("select_last_index", 0) != 0;
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long a = NormaliseAxis(axis, x.dim());
            if (!last)
                return [isMax ? x.argmax(a, keepDims) : x.argmin(a, keepDims)];
            // The last extreme index: the first one along the flipped axis, mirrored back.
            Tensor flipped = x.flip(a);
            Tensor index = isMax ? flipped.argmax(a, keepDims) : flipped.argmin(a, keepDims);
            return [-index + (x.shape[a] - 1)];
        };
    }
}
