using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;

namespace CamStudio.Engine.Cam.Features;

/// <summary>How maps of one class from several layers become one map.</summary>
public enum LayerFusion
{
    /// <summary>pytorch-grad-cam's default: each map ReLU'd and min-max scaled to [0, 1], then averaged.</summary>
    Mean,

    /// <summary>TorchCAM's <c>fuse_cams</c>: each map min-max scaled to [0, 1], then the pixel-wise maximum.</summary>
    Max,

    /// <summary>LayerCAM's fusion (Jiang et al. 2021, eq. 6): tanh(γ·map) of each scaled map, γ = 2, then the maximum.</summary>
    LayerCam,

    /// <summary>RefineCAM (arXiv 2605.14641, as pytorch-grad-cam and TorchCAM): the product of the scaled maps.</summary>
    Refine,
}

/// <summary>
/// Fuses maps of one class from several layers at the largest of their resolutions (bilinear, align_corners false,
/// as TorchCAM), so a fused map is as fine as its finest layer. The result's raw values are the fused values.
/// </summary>
public static class LayerFusions
{
    /// <summary>LayerCAM's γ (TorchCAM's default for <c>_scale_cams</c>).</summary>
    public const float LayerCamGamma = 2f;

    /// <summary>The names a request may use, lowest first: mean, max, layercam, refine.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mean", "max", "layercam", "refine"];

    /// <summary>The fusion named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static LayerFusion? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "mean" => LayerFusion.Mean,
        "max" => LayerFusion.Max,
        "layercam" => LayerFusion.LayerCam,
        "refine" or "refinecam" => LayerFusion.Refine,
        _ => null,
    };

    /// <summary>The fusion's name as requests spell it.</summary>
    public static string Name(LayerFusion fusion) => Names[(int)fusion];

    /// <summary>The maps fused by <paramref name="fusion"/> (one map is returned scaled as the rule scales it).</summary>
    public static CamMap Fuse(IReadOnlyList<CamMap> maps, LayerFusion fusion)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0)
            throw new ArgumentException("Fusion needs at least one map.", nameof(maps));
        int width = maps.Max(m => m.Width), height = maps.Max(m => m.Height);
        var fused = new float[width * height];
        Array.Fill(fused, fusion switch
        {
            LayerFusion.Refine => 1f,
            LayerFusion.Mean => 0f,
            _ => float.NegativeInfinity,
        });
        foreach (CamMap map in maps)
        {
            float[] scaled = Scaled(map, fusion);
            float[] resized = map.Width == width && map.Height == height ? scaled : MapResampler.Resize(scaled, map.Width, map.Height, width, height);
            for (int i = 0; i < fused.Length; i++)
            {
                fused[i] = fusion switch
                {
                    LayerFusion.Mean => fused[i] + resized[i] / maps.Count,
                    LayerFusion.Refine => fused[i] * resized[i],
                    _ => Math.Max(fused[i], resized[i]),
                };
            }
        }
        return new CamMap(width, height, fused);
    }

    /// <summary>One layer's map scaled as <paramref name="fusion"/> wants it before resizing.</summary>
    private static float[] Scaled(CamMap map, LayerFusion fusion)
    {
        ReadOnlySpan<float> raw = map.Raw;
        var values = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++)
            values[i] = fusion == LayerFusion.Mean ? Math.Max(raw[i], 0f) : raw[i];
        MinMaxInPlace(values);
        if (fusion == LayerFusion.LayerCam)
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = MathF.Tanh(LayerCamGamma * values[i]);
        }
        return values;
    }

    /// <summary>(v − min) / (max − min) in place; a flat map becomes zeros.</summary>
    internal static void MinMaxInPlace(Span<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        float span = max - min;
        for (int i = 0; i < values.Length; i++)
            values[i] = span > 1e-12f ? (values[i] - min) / span : 0f;
    }
}
