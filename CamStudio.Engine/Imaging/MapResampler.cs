using CamStudio.Engine.Maps;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// Bilinear upsampling of a row-major float map with exactly the semantics of PyTorch's
/// <c>interpolate(mode: "bilinear", align_corners: false)</c>: source coordinate s = (d + 0.5)·(in/out) − 0.5,
/// clamped below at 0, neighbours ⌊s⌋ and min(⌊s⌋ + 1, in − 1).
/// </summary>
public static class MapResampler
{
    /// <summary>A <paramref name="targetWidth"/>×<paramref name="targetHeight"/> row-major map.</summary>
    public static float[] Resize(ReadOnlySpan<float> map, int width, int height, int targetWidth, int targetHeight)
    {
        var plan = new BilinearPlan(map, width, height, targetWidth, targetHeight);
        if ((long)targetWidth * targetHeight > Array.MaxLength)
            throw new ArgumentException($"A {targetWidth}×{targetHeight} map is too large for one array.");
        var result = new float[targetWidth * targetHeight];
        plan.FillRows(result);
        return result;
    }

    public static float[] Resize(CamMap map, int targetWidth, int targetHeight) =>
        Resize(map.Raw, map.Width, map.Height, targetWidth, targetHeight);
}

/// <summary>
/// Precomputed indices and weights for one bilinear resize. Rows of the source are interpolated horizontally once
/// (a source map is small, e.g. 7×7), so each output row is one blend of two precomputed rows.
/// </summary>
internal sealed class BilinearPlan
{
    private readonly float[] _horizontal; // source height × target width
    private readonly int[] _row0;
    private readonly int[] _row1;
    private readonly float[] _rowWeight1;

    public BilinearPlan(ReadOnlySpan<float> map, int width, int height, int targetWidth, int targetHeight)
    {
        if (width <= 0 || height <= 0 || map.Length != width * height)
            throw new ArgumentException($"A {width}×{height} map needs {width * height} values, got {map.Length}.", nameof(map));
        if (targetWidth <= 0 || targetHeight <= 0)
            throw new ArgumentException($"Target size {targetWidth}×{targetHeight} must be positive.");
        TargetWidth = targetWidth;
        TargetHeight = targetHeight;

        SourceIndices(width, targetWidth, out int[] col0, out int[] col1, out float[] colWeight1);
        SourceIndices(height, targetHeight, out _row0, out _row1, out _rowWeight1);

        _horizontal = new float[height * targetWidth];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<float> source = map.Slice(y * width, width);
            Span<float> target = _horizontal.AsSpan(y * targetWidth, targetWidth);
            for (int x = 0; x < targetWidth; x++)
            {
                float w1 = colWeight1[x];
                target[x] = (1f - w1) * source[col0[x]] + w1 * source[col1[x]];
            }
        }
    }

    public int TargetWidth { get; }

    public int TargetHeight { get; }

    /// <summary>Writes output row <paramref name="y"/> (TargetWidth values) into <paramref name="destination"/>.</summary>
    public void FillRow(int y, Span<float> destination)
    {
        float w1 = _rowWeight1[y], w0 = 1f - w1;
        ReadOnlySpan<float> a = _horizontal.AsSpan(_row0[y] * TargetWidth, TargetWidth);
        ReadOnlySpan<float> b = _horizontal.AsSpan(_row1[y] * TargetWidth, TargetWidth);
        for (int x = 0; x < destination.Length; x++)
            destination[x] = w0 * a[x] + w1 * b[x];
    }

    /// <summary>Fills a whole row-major target, rows in parallel when the target is large.</summary>
    public void FillRows(float[] destination)
    {
        int w = TargetWidth;
        if ((long)w * TargetHeight < 1 << 18)
        {
            for (int y = 0; y < TargetHeight; y++)
                FillRow(y, destination.AsSpan(y * w, w));
            return;
        }
        Parallel.For(0, TargetHeight, y => FillRow(y, destination.AsSpan(y * w, w)));
    }

    /// <summary>PyTorch's <c>area_pixel_compute_source_index</c> for align_corners = false.</summary>
    private static void SourceIndices(int inSize, int outSize, out int[] index0, out int[] index1, out float[] weight1)
    {
        index0 = new int[outSize];
        index1 = new int[outSize];
        weight1 = new float[outSize];
        float scale = (float)inSize / outSize;
        for (int d = 0; d < outSize; d++)
        {
            float s = Math.Max(scale * (d + 0.5f) - 0.5f, 0f);
            int i0 = Math.Min((int)s, inSize - 1);
            index0[d] = i0;
            index1[d] = Math.Min(i0 + 1, inSize - 1);
            weight1[d] = s - i0;
        }
    }
}
