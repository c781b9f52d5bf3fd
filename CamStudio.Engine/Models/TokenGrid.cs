using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>How a token grid lays out its tokens.</summary>
public enum TokenGridLayout
{
    /// <summary>N×(T+H·W)×C: T extra tokens (ViT's class token, DeiT's distillation token) first, then the patches row by row.</summary>
    Tokens,

    /// <summary>N×H×W×C: channels last (Swin's stages, ConvNeXt's block internals).</summary>
    ChannelsLast,
}

/// <summary>
/// A transformer layer read as a feature map: its H×W patch tokens reshaped to N×C×H×W, its extra tokens dropped, so
/// every CAM method sees an ordinary map (pytorch-grad-cam asks the user for this as a "reshape transform").
/// </summary>
/// <param name="Layout">Token sequence or channels-last grid.</param>
/// <param name="ExtraTokens">Tokens before the patches (0 for channels-last).</param>
/// <param name="Height">Patch rows.</param>
/// <param name="Width">Patch columns.</param>
public sealed record TokenGrid(TokenGridLayout Layout, int ExtraTokens, long Height, long Width)
{
    /// <summary>At most this many extra tokens are looked for (class + distillation, or class + four registers).</summary>
    public const int MaxExtraTokens = 5;

    /// <summary>The rule <see cref="Detect"/> applies, for users (<c>camstudio layers</c>, the studio).</summary>
    public const string Rule =
        "A token grid is a layer whose output for one photo is 1×(T+H·W)×C (T ≤ 5 extra tokens first, e.g. ViT's class token) or " +
        "1×H×W×C (channels last, e.g. Swin), where H×W has the photo's aspect ratio (one cell per patch) and, for 1×H×W×C, " +
        "H×W×C is not already a valid N×C×H×W map; the extra tokens are dropped and the patches reshaped to N×C×H×W.";

    /// <summary>Short text for listings: "tokens 1+14×14" or "channels-last 7×7".</summary>
    public string Text => Layout == TokenGridLayout.Tokens ? $"tokens {ExtraTokens}+{Height}×{Width}" : $"channels-last {Height}×{Width}";

    /// <summary>
    /// The grid a layer of output <paramref name="shape"/> (batch of one) holds for <paramref name="inputHeight"/>×<paramref name="inputWidth"/>
    /// photos, by <see cref="Rule"/>; null when it is not one (ordinary maps, vectors, attention matrices, windowed tensors).
    /// </summary>
    public static TokenGrid? Detect(long[] shape, long inputHeight, long inputWidth)
    {
        ArgumentNullException.ThrowIfNull(shape);
        // Windowed tensors (Swin's N·windows×49×C) scale their first axis with more than the batch: not one photo's grid.
        if (shape.Length is < 3 or > 4 || shape[0] != 1 || shape.Skip(1).Any(d => d < 1))
            return null;
        if (shape.Length == 4)
        {
            bool channelsLast = HasPhotoAspect(shape[1], shape[2], inputHeight, inputWidth) && shape[1] * shape[2] > 1;
            bool channelsFirst = HasPhotoAspect(shape[2], shape[3], inputHeight, inputWidth);
            return channelsLast && !channelsFirst ? new TokenGrid(TokenGridLayout.ChannelsLast, 0, shape[1], shape[2]) : null;
        }
        long tokens = shape[1];
        for (int extra = 0; extra <= MaxExtraTokens && extra < tokens; extra++)
        {
            if (GridOf(tokens - extra, inputHeight, inputWidth) is { } grid)
                return new TokenGrid(TokenGridLayout.Tokens, extra, grid.Height, grid.Width);
        }
        return null;
    }

    /// <summary>The map shape for a layer of raw shape <paramref name="shape"/>: N×C×H×W.</summary>
    public long[] MapShape(long[] shape) => [shape[0], shape[^1], Height, Width];

    /// <summary>N×C×H×W (contiguous) from the layer's raw output.</summary>
    public Tensor ToMap(Tensor raw)
    {
        Tensor grid = Layout == TokenGridLayout.Tokens
            ? raw.narrow(1, ExtraTokens, Height * Width).reshape(raw.shape[0], Height, Width, raw.shape[2])
            : raw;
        return grid.permute(0, 3, 1, 2).contiguous();
    }

    /// <summary>
    /// The inverse of <see cref="ToMap"/>: a raw layer output whose patches are <paramref name="map"/> (N×C×H×W) and whose
    /// extra tokens are those of <paramref name="raw"/> (the layer's own output for the same photos, batch 1 or N).
    /// </summary>
    public Tensor FromMap(Tensor map, Tensor raw)
    {
        Tensor grid = map.permute(0, 2, 3, 1);
        if (Layout == TokenGridLayout.ChannelsLast)
            return grid.contiguous();
        Tensor patches = grid.reshape(map.shape[0], Height * Width, map.shape[1]);
        if (ExtraTokens == 0)
            return patches;
        Tensor extra = raw.narrow(1, 0, ExtraTokens);
        if (extra.shape[0] != map.shape[0])
            extra = extra.expand(map.shape[0], ExtraTokens, map.shape[1]);
        return torch.cat([extra.to(map.dtype), patches], 1);
    }

    /// <summary>H×W with H·W = <paramref name="cells"/>, both ≥ 2, in the photo's aspect ratio (within one cell).</summary>
    private static (long Height, long Width)? GridOf(long cells, long inputHeight, long inputWidth)
    {
        for (long h = 2; h * 2 <= cells; h++)
        {
            if (cells % h == 0 && cells / h >= 2 && HasPhotoAspect(h, cells / h, inputHeight, inputWidth))
                return (h, cells / h);
        }
        return null;
    }

    /// <summary>Whether an h×w grid covers an H×W photo with square cells: H/h ≈ W/w (rounding as strided patches do).</summary>
    private static bool HasPhotoAspect(long h, long w, long inputHeight, long inputWidth)
    {
        if (h < 1 || w < 1 || h > inputHeight || w > inputWidth)
            return false;
        // Cell sizes agree when each side rounds to the other's cell count (inception-style 299 → 8 with stride 37.4).
        double cell = (double)inputHeight / h;
        return Math.Abs(inputWidth / cell - w) < 1.0 && Math.Abs((double)inputWidth / w * h - inputHeight) < (double)inputHeight / h;
    }
}
