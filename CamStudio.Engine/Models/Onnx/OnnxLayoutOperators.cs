using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Less common operators of CNN and transformer exports (onnx/docs/Operators.md): instance and group normalisation,
/// DepthToSpace / SpaceToDepth, GatherND, CumSum, Trilu. All stay differentiable in their data inputs.
/// </summary>
internal static class OnnxLayoutOperators
{
    public static IReadOnlyDictionary<(string Domain, string OpType), Func<OnnxNodeContext, OnnxKernel>> Builders { get; } =
        new Dictionary<(string, string), Func<OnnxNodeContext, OnnxKernel>>
        {
            [(OnnxOperators.DefaultDomain, "InstanceNormalization")] = InstanceNormalization,
            [(OnnxOperators.DefaultDomain, "GroupNormalization")] = GroupNormalization,
            [(OnnxOperators.DefaultDomain, "DepthToSpace")] = DepthToSpace,
            [(OnnxOperators.DefaultDomain, "SpaceToDepth")] = SpaceToDepth,
            [(OnnxOperators.DefaultDomain, "GatherND")] = GatherND,
            [(OnnxOperators.DefaultDomain, "CumSum")] = CumSum,
            [(OnnxOperators.DefaultDomain, "Trilu")] = Trilu,
        };

    /// <summary>Per sample and channel over the spatial axes, then a per-channel scale and bias.</summary>
    private static OnnxKernel InstanceNormalization(OnnxNodeContext c)
    {
        double epsilon = c.Float("epsilon", 1e-5f);
        return inputs =>
        {
            Tensor x = inputs[0]!, scale = inputs[1]!, bias = inputs[2]!;
            long[] spatial = OnnxOperators.SpatialDims(x);
            long[] channel = [1, x.shape[1], .. spatial.Select(_ => 1L)];
            Tensor mean = x.mean(spatial, keepdim: true);
            Tensor variance = (x - mean).square().mean(spatial, keepdim: true);
            return [(x - mean) * (variance + epsilon).rsqrt() * scale.reshape(channel) + bias.reshape(channel)];
        };
    }

    /// <summary>
    /// Normalisation over groups of channels (Wu and He, arXiv 1803.08494). Opset 21 scales per channel; opset 18 scaled
    /// per group (its Scale and Bias have num_groups entries).
    /// </summary>
    private static OnnxKernel GroupNormalization(OnnxNodeContext c)
    {
        double epsilon = c.Float("epsilon", 1e-5f);
        long groups = c.Int("num_groups", 0);
        if (groups < 1)
            throw new InvalidDataException("GroupNormalization needs num_groups ≥ 1");
        return inputs =>
        {
            Tensor x = inputs[0]!, scale = inputs[1]!, bias = inputs[2]!;
            long n = x.shape[0], channels = x.shape[1];
            if (channels % groups != 0)
                throw new InvalidDataException($"GroupNormalization: {channels} channels do not split into {groups} groups");
            long[] spatial = x.shape[2..];
            Tensor grouped = x.reshape(n, groups, -1);
            Tensor mean = grouped.mean([2], keepdim: true);
            Tensor variance = (grouped - mean).square().mean([2], keepdim: true);
            Tensor normalised = (grouped - mean) * (variance + epsilon).rsqrt();
            if (scale.numel() == groups && groups != channels)
                return [(normalised * scale.reshape(1, groups, 1) + bias.reshape(1, groups, 1)).reshape(x.shape)];
            long[] channel = [1, channels, .. spatial.Select(_ => 1L)];
            return [normalised.reshape(x.shape) * scale.reshape(channel) + bias.reshape(channel)];
        };
    }

    private static OnnxKernel DepthToSpace(OnnxNodeContext c)
    {
        long b = c.Int("blocksize", 0);
        bool columnRowDepth = c.String("mode", "DCR") == "CRD";
        if (b < 1)
            throw new InvalidDataException("DepthToSpace needs blocksize ≥ 1");
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long n = x.shape[0], ch = x.shape[1], h = x.shape[2], w = x.shape[3];
            Tensor y = columnRowDepth
                ? x.reshape(n, ch / (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3)
                : x.reshape(n, b, b, ch / (b * b), h, w).permute(0, 3, 4, 1, 5, 2);
            return [y.reshape(n, ch / (b * b), h * b, w * b)];
        };
    }

    private static OnnxKernel SpaceToDepth(OnnxNodeContext c)
    {
        long b = c.Int("blocksize", 0);
        if (b < 1)
            throw new InvalidDataException("SpaceToDepth needs blocksize ≥ 1");
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long n = x.shape[0], ch = x.shape[1], h = x.shape[2], w = x.shape[3];
            return [x.reshape(n, ch, h / b, b, w / b, b).permute(0, 3, 5, 1, 2, 4).reshape(n, ch * b * b, h / b, w / b)];
        };
    }

    /// <summary>GatherND: index tuples [..., k] into data after batch_dims leading axes shared by data and indices.</summary>
    private static OnnxKernel GatherND(OnnxNodeContext c)
    {
        long batchDims = c.Int("batch_dims", 0);
        return inputs =>
        {
            Tensor data = inputs[0]!, indices = inputs[1]!.to_type(ScalarType.Int64);
            long k = indices.shape[^1];
            if (k < 1 || batchDims + k > data.dim())
                throw new InvalidDataException($"GatherND indices of shape [{string.Join(", ", indices.shape)}] do not address a {data.dim()}-D tensor");
            long[] batch = data.shape[..(int)batchDims];
            long batchCount = batch.Aggregate(1L, (p, d) => p * d);
            Tensor flatData = data.reshape([batchCount, .. data.shape[(int)batchDims..]]);
            Tensor flatIndex = indices.reshape(batchCount, -1, k);
            var index = new List<Tensor> { torch.arange(batchCount, device: data.device).reshape(-1, 1).expand(batchCount, flatIndex.shape[1]) };
            for (int i = 0; i < k; i++)
                index.Add(flatIndex.select(-1, i));
            Tensor picked = flatData.index(index.Select(t => TensorIndex.Tensor(t)).ToArray());
            return [picked.reshape([.. indices.shape[..^1], .. data.shape[(int)(batchDims + k)..]])];
        };
    }

    private static OnnxKernel CumSum(OnnxNodeContext c)
    {
        bool exclusive = c.Int("exclusive", 0) != 0, reverse = c.Int("reverse", 0) != 0;
        return inputs =>
        {
            Tensor x = inputs[0]!;
            long axis = OnnxNodeContext.Longs(inputs[1]!)[0];
            if (axis < 0)
                axis += x.dim();
            Tensor source = reverse ? x.flip(axis) : x;
            Tensor sum = source.cumsum(axis);
            if (exclusive)
                sum = sum - source;
            return [reverse ? sum.flip(axis) : sum];
        };
    }

    private static OnnxKernel Trilu(OnnxNodeContext c)
    {
        bool upper = c.Int("upper", 1) != 0;
        return inputs =>
        {
            long k = inputs.Length > 1 && inputs[1] is { } diagonal ? OnnxNodeContext.Longs(diagonal)[0] : 0;
            return [upper ? inputs[0]!.triu(k) : inputs[0]!.tril(k)];
        };
    }
}
