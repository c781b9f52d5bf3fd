namespace CamStudio.Engine.Metrics;

/// <summary>
/// The pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", IJCV 2018): a hit when the
/// map's maximum lies in the object's box (exactly, no tolerance margin; the first maximum in row-major order);
/// and the energy-based pointing game (Wang et al., "Score-CAM", CVPR Workshops 2020): the share of the map's sum
/// inside the box.
/// </summary>
public static class PointingGame
{
    /// <summary>Hit and energy share of <paramref name="map"/> (width × height, values ≥ 0) for <paramref name="box"/>.</summary>
    public static (bool Hit, double Energy) Compute(ReadOnlySpan<float> map, int width, int height, InputBox box)
    {
        if (map.Length != width * height)
            throw new ArgumentException($"A {width}×{height} map needs {width * height} values, got {map.Length}.", nameof(map));
        int best = 0;
        double total = 0, inside = 0;
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] > map[best])
                best = i;
            total += map[i];
            if (box.Contains(i % width, i / width))
                inside += map[i];
        }
        return (box.Contains(best % width, best / width), total > 0 ? inside / total : 0);
    }
}
