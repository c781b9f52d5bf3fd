using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>
/// The shared machinery of Score-CAM and its relatives: the channel masks, and the logits of masked copies of one
/// photo, built chunk by chunk (never every channel at input resolution at once) with each distinct mask run once.
/// </summary>
internal static class MaskedForwards
{
    /// <summary>
    /// Channel maps upsampled to <paramref name="height"/>×<paramref name="width"/> (bilinear, <paramref name="alignCorners"/>),
    /// then min-max scaled to [0, 1] per channel (pytorch-grad-cam's order). <paramref name="maps"/>: n×h×w.
    /// </summary>
    public static Tensor UpsampledThenScaled(Tensor maps, long height, long width, bool alignCorners)
    {
        using var scope = torch.NewDisposeScope();
        Tensor up = nn.functional.interpolate(maps.unsqueeze(0), [height, width], mode: InterpolationMode.Bilinear, align_corners: alignCorners)[0];
        return ScaledPerChannel(up).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Channel maps min-max scaled to [0, 1] at their own resolution, then upsampled (bilinear, align_corners false):
    /// TorchCAM's order. <paramref name="maps"/>: n×h×w.
    /// </summary>
    public static Tensor ScaledThenUpsampled(Tensor maps, long height, long width)
    {
        using var scope = torch.NewDisposeScope();
        Tensor scaled = ScaledPerChannel(maps);
        return nn.functional.interpolate(scaled.unsqueeze(0), [height, width], mode: InterpolationMode.Bilinear, align_corners: false)[0]
            .MoveToOuterDisposeScope();
    }

    /// <summary>(x − min) / (max − min + 1e-8) per channel of an n×h×w tensor.</summary>
    private static Tensor ScaledPerChannel(Tensor maps)
    {
        Tensor low = maps.amin([1, 2], keepdim: true);
        Tensor high = maps.amax([1, 2], keepdim: true);
        return (maps - low) / (high - low + 1e-8);
    }

    /// <summary>
    /// Channels × classes: for every channel of <paramref name="activation"/> (C×h×w), the mean logits of its
    /// <paramref name="repeats"/> masked copies of the photo, <paramref name="maskedInputs"/>(channels, repeat indices)
    /// building a chunk of copies (n×3×H×W) from int64 index tensors.
    /// </summary>
    /// <param name="zeroMaskWhenConstant">
    /// True when a channel that is constant over the map has an all-zero mask in every repeat (min-max scaling sends it
    /// to 0), so the copies of all such channels are one input, the zero image: it is run once and the other passes
    /// are counted as done. False when the copies differ anyway (SS-CAM's noise).
    /// </param>
    public static Tensor ChannelLogits(ExtraForwards forwards, Tensor activation, Tensor photo, int repeats,
        bool zeroMaskWhenConstant, Func<Tensor, Tensor, Tensor> maskedInputs)
    {
        using var scope = torch.NewDisposeScope();
        long channels = activation.shape[0];
        Tensor varying, constant;
        if (zeroMaskWhenConstant)
        {
            Tensor flat = activation.flatten(1);
            Tensor isConstant = flat.amax(1).eq(flat.amin(1));
            varying = isConstant.logical_not().nonzero().reshape(-1);
            constant = isConstant.nonzero().reshape(-1);
        }
        else
        {
            varying = torch.arange(channels, dtype: ScalarType.Int64, device: activation.device);
            constant = torch.empty(0, dtype: ScalarType.Int64, device: activation.device);
        }

        long copies = varying.shape[0] * repeats;
        var chunks = new List<Tensor>();
        for (long start = 0, count; start < copies; start += count)
        {
            // Each chunk's masks and masked copies are freed before the next is built: only its logits are kept.
            using var step = torch.NewDisposeScope();
            count = forwards.NextChunkSize(copies - start);
            Tensor copy = torch.arange(start, start + count, dtype: ScalarType.Int64, device: activation.device);
            Tensor channel = varying.index_select(0, copy.div(repeats, rounding_mode: RoundingMode.floor));
            chunks.Add(forwards.Logits(maskedInputs(channel, copy.remainder(repeats))).MoveToOuterDisposeScope());
        }

        Tensor? zeroLogits = null;
        if (constant.shape[0] > 0)
        {
            zeroLogits = forwards.Logits(torch.zeros_like(photo).unsqueeze(0));
            forwards.Skip(constant.shape[0] * repeats - 1);
        }
        long classes = chunks.Count > 0 ? chunks[0].shape[1] : zeroLogits!.shape[1];
        Tensor result = torch.empty(channels, classes, dtype: ScalarType.Float32, device: activation.device);
        if (chunks.Count > 0)
            result.index_copy_(0, varying, torch.cat(chunks, 0).reshape(varying.shape[0], repeats, classes).mean([1]));
        if (zeroLogits is not null)
            result.index_copy_(0, constant, zeroLogits.expand(constant.shape[0], classes));
        return result.MoveToOuterDisposeScope();
    }
}
