using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// ONNX operators that build, broadcast or index tensors (onnx/docs/Operators.md): Expand, ConstantOfShape, Range,
/// ScatterND, Tile, GatherElements, Size. Their shape arguments are int64 tensors read eagerly on the CPU (they are shape
/// computations); the data they move stays a torch tensor, so gradients flow through Expand, Tile, ScatterND and
/// GatherElements.
/// </summary>
internal static class OnnxTensorOperators
{
    public static IReadOnlyDictionary<(string Domain, string OpType), Func<OnnxNodeContext, OnnxKernel>> Builders { get; } =
        new Dictionary<(string, string), Func<OnnxNodeContext, OnnxKernel>>
        {
            [(OnnxOperators.DefaultDomain, "Expand")] = _ => inputs => [Expand(inputs[0]!, OnnxNodeContext.Longs(inputs[1]!))],
            [(OnnxOperators.DefaultDomain, "ConstantOfShape")] = ConstantOfShape,
            [(OnnxOperators.DefaultDomain, "Range")] = _ => inputs => [Range(inputs[0]!, inputs[1]!, inputs[2]!)],
            [(OnnxOperators.DefaultDomain, "ScatterND")] = ScatterND,
            [(OnnxOperators.DefaultDomain, "Tile")] = _ => inputs => [Tile(inputs[0]!, OnnxNodeContext.Longs(inputs[1]!))],
            [(OnnxOperators.DefaultDomain, "GatherElements")] = GatherElements,
            [(OnnxOperators.DefaultDomain, "Size")] = _ => inputs => [torch.tensor(inputs[0]!.numel(), dtype: ScalarType.Int64, device: inputs[0]!.device)],
        };

    /// <summary>Numpy broadcasting of two shapes, as Expand's spec defines its output shape.</summary>
    internal static long[] BroadcastShape(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            long y = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (x != y && x != 1 && y != 1)
                throw new InvalidDataException($"shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}] do not broadcast");
            shape[i] = x == 1 ? y : x;
        }
        return shape;
    }

    /// <summary>ONNX Expand broadcasts both ways (a target dim of 1 keeps the input's), unlike torch's expand.</summary>
    private static Tensor Expand(Tensor x, long[] shape)
    {
        long[] target = BroadcastShape(x.shape, shape);
        return target.SequenceEqual(x.shape) ? x.alias() : x.expand(target);
    }

    private static OnnxKernel ConstantOfShape(OnnxNodeContext c)
    {
        Tensor value = c.Attribute("value") is { T: { } proto }
            ? c.Keep(OnnxTensorReader.Read(proto, c.Device))
            : c.Keep(torch.zeros(1, dtype: ScalarType.Float32, device: c.Device));
        if (value.numel() != 1)
            throw new InvalidDataException($"ConstantOfShape's value has {value.numel()} elements, not one");
        return inputs =>
        {
            long[] shape = OnnxNodeContext.Longs(inputs[0]!);
            if (shape.Any(d => d < 0))
                throw new InvalidDataException($"ConstantOfShape shape [{string.Join(", ", shape)}] has a negative dimension");
            return [value.reshape([]).expand(shape).contiguous()];
        };
    }

    /// <summary>Range: max(ceil((limit − start) / delta), 0) values start + i·delta, in the inputs' element type.</summary>
    private static Tensor Range(Tensor start, Tensor limit, Tensor delta)
    {
        if (start.is_floating_point())
        {
            double s = OnnxNodeContext.Scalar(start), l = OnnxNodeContext.Scalar(limit), d = OnnxNodeContext.Scalar(delta);
            if (d == 0)
                throw new InvalidDataException("Range delta is 0");
            long count = (long)Math.Max(Math.Ceiling((l - s) / d), 0);
            return (torch.arange(count, dtype: ScalarType.Float64, device: start.device) * d + s).to_type(start.dtype);
        }
        long first = OnnxNodeContext.Longs(start)[0], end = OnnxNodeContext.Longs(limit)[0], step = OnnxNodeContext.Longs(delta)[0];
        if (step == 0)
            throw new InvalidDataException("Range delta is 0");
        long span = end - first;
        long n = Math.Max(0, span / step + (span % step != 0 && (span < 0) == (step < 0) ? 1 : 0));
        return (torch.arange(n, dtype: ScalarType.Int64, device: start.device) * step + first).to_type(start.dtype);
    }

    /// <summary>
    /// ScatterND: a copy of data with updates written at index tuples; indices [..., k] address the first k axes, so the
    /// k index columns are exactly torch's advanced-indexing tensors. reduction "add" accumulates; "mul", "max", "min"
    /// are not supported.
    /// </summary>
    private static OnnxKernel ScatterND(OnnxNodeContext c)
    {
        string reduction = c.String("reduction", "none");
        if (reduction is not ("none" or "add"))
            throw new InvalidDataException($"ScatterND reduction '{reduction}' is not supported (none and add are)");
        return inputs =>
        {
            Tensor data = inputs[0]!, indices = inputs[1]!, updates = inputs[2]!;
            long k = indices.shape[^1];
            if (k < 1 || k > data.dim())
                throw new InvalidDataException($"ScatterND indices of shape [{string.Join(", ", indices.shape)}] do not address a {data.dim()}-D tensor");
            long[] expected = [.. indices.shape[..^1], .. data.shape.Skip((int)k)];
            if (!updates.shape.SequenceEqual(expected))
                throw new InvalidDataException($"ScatterND updates have shape [{string.Join(", ", updates.shape)}], expected [{string.Join(", ", expected)}]");
            Tensor index = indices.to_type(ScalarType.Int64);
            Tensor[] columns = Enumerable.Range(0, (int)k).Select(i => index.select(-1, i)).ToArray();
            // The clone keeps data (perhaps a module constant) untouched and gives autograd a fresh tensor to write into.
            return [data.clone().index_put_(updates.to_type(data.dtype), columns, accumulate: reduction == "add")];
        };
    }

    private static Tensor Tile(Tensor x, long[] repeats)
    {
        if (repeats.Length != x.dim() || repeats.Any(r => r < 0))
            throw new InvalidDataException($"Tile repeats [{string.Join(", ", repeats)}] do not fit a {x.dim()}-D input");
        return x.repeat(repeats);
    }

    private static OnnxKernel GatherElements(OnnxNodeContext c)
    {
        long axis = c.Int("axis", 0);
        return inputs =>
        {
            Tensor data = inputs[0]!, indices = inputs[1]!.to_type(ScalarType.Int64);
            long a = axis < 0 ? axis + data.dim() : axis;
            return [data.gather(a, torch.where(indices < 0, indices + data.shape[a], indices))];
        };
    }
}
