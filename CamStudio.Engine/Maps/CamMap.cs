namespace CamStudio.Engine.Maps;

/// <summary>
/// A class activation map at the resolution of the captured layer, row-major (Height rows of Width values).
/// <see cref="Raw"/> is the method's map as its paper defines it (ReLU included where the paper has one),
/// before any min-max normalisation, so several maps can be put on one shared scale.
/// </summary>
public sealed class CamMap
{
    public CamMap(int width, int height, float[] raw)
    {
        if (width <= 0 || height <= 0 || raw.Length != width * height)
            throw new ArgumentException($"A {width}×{height} map needs {width * height} values, got {raw.Length}.", nameof(raw));
        Width = width;
        Height = height;
        Raw = raw;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in raw)
        {
            if (v < min)
                min = v;
            if (v > max)
                max = v;
        }
        Min = min;
        Max = max;
    }

    public int Width { get; }

    public int Height { get; }

    public float[] Raw { get; }

    public float Min { get; }

    public float Max { get; }

    /// <summary>The map min-max normalised to [0, 1] on its own range, or on <paramref name="range"/> when given.</summary>
    public float[] Normalised(ValueRange? range = null)
    {
        ValueRange r = range ?? new ValueRange(Min, Max);
        return r.Normalise(Raw);
    }
}

/// <summary>A value range used to normalise maps: one map's own, or one shared by several maps.</summary>
public readonly record struct ValueRange(float Min, float Max)
{
    public static ValueRange Shared(IEnumerable<CamMap> maps)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (CamMap map in maps)
        {
            min = Math.Min(min, map.Min);
            max = Math.Max(max, map.Max);
        }
        if (float.IsInfinity(min))
            throw new ArgumentException("A shared range needs at least one map.", nameof(maps));
        return new ValueRange(min, max);
    }

    /// <summary>(v − min) / (max − min), clamped to [0, 1]; a flat range maps to zeros.</summary>
    public float[] Normalise(ReadOnlySpan<float> values)
    {
        var result = new float[values.Length];
        float span = Max - Min;
        if (!(span > 1e-12f))
            return result;
        for (int i = 0; i < values.Length; i++)
            result[i] = Math.Clamp((values[i] - Min) / span, 0f, 1f);
        return result;
    }
}
