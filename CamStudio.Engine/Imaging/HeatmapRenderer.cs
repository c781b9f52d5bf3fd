using CamStudio.Engine.Cam;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// Draws class activation maps: the raw map is upsampled bilinearly (PyTorch semantics) to the photo's own size,
/// normalised on its own or a shared <see cref="ValueRange"/>, coloured through a <see cref="Colormap"/> and blended.
/// </summary>
public static class HeatmapRenderer
{
    /// <summary>A new image the size of <paramref name="photo"/>: Alpha·colour(map) + (1 − Alpha)·photo.</summary>
    public static Image<Rgb24> Overlay(Image<Rgb24> photo, CamMap map, OverlayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(map);
        options ??= OverlayOptions.Default;
        Image<Rgb24> result = photo.Clone();
        Paint(result, map, options, options.Alpha);
        return result;
    }

    /// <summary>The coloured map alone, upsampled to <paramref name="width"/>×<paramref name="height"/> (Alpha is ignored).</summary>
    public static Image<Rgb24> Heatmap(CamMap map, int width, int height, OverlayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Heatmap size {width}×{height} must be positive.");
        options ??= OverlayOptions.Default;
        var result = new Image<Rgb24>(width, height);
        Paint(result, map, options, alpha: 1f);
        return result;
    }

    /// <summary>
    /// A colour bar: vertical (high values at the top) when taller than wide, else horizontal (high values right).
    /// With <paramref name="range"/>, the max and min values are printed at the ends in the bitmap font.
    /// </summary>
    public static Image<Rgb24> ColorBar(Colormap colormap, int width, int height, ValueRange? range = null)
    {
        ArgumentNullException.ThrowIfNull(colormap);
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Colour bar size {width}×{height} must be positive.");
        var bar = new Image<Rgb24>(width, height, new Rgb24(255, 255, 255));
        bool vertical = height > width;
        int labelSpace = 0;
        int scale = 1;
        string? high = null, low = null;
        if (range is ValueRange r)
        {
            high = FormatValue(r.Max);
            low = FormatValue(r.Min);
            scale = vertical ? (width >= 60 ? 2 : 1) : (height >= 40 ? 2 : 1);
            labelSpace = BitmapFont.LineHeight(scale) + 2;
            if ((vertical ? height : width) <= 2 * labelSpace + 4)
                labelSpace = 0; // too small to print the values
        }

        int start = labelSpace, length = (vertical ? height : width) - 2 * labelSpace;
        ReadOnlySpan<Rgb24> table = colormap.Table;
        for (int i = 0; i < length; i++)
        {
            float t = length == 1 ? 1f : i / (float)(length - 1);
            Rgb24 c = table[Colormap.Index(t)];
            if (vertical)
            {
                Span<Rgb24> row = bar.DangerousGetPixelRowMemory(start + length - 1 - i).Span;
                row.Fill(c);
            }
            else
            {
                for (int y = 0; y < height; y++)
                    bar.DangerousGetPixelRowMemory(y).Span[start + i] = c;
            }
        }

        if (labelSpace > 0 && high is not null && low is not null)
        {
            var ink = new Rgb24(0, 0, 0);
            if (vertical)
            {
                BitmapFont.DrawCentered(bar, high, new Rectangle(0, 0, width, labelSpace), ink, scale);
                BitmapFont.DrawCentered(bar, low, new Rectangle(0, height - labelSpace, width, labelSpace), ink, scale);
            }
            else
            {
                BitmapFont.DrawCentered(bar, low, new Rectangle(0, 0, labelSpace, height), ink, 1);
                BitmapFont.DrawCentered(bar, high, new Rectangle(width - labelSpace, 0, labelSpace, height), ink, 1);
            }
        }
        return bar;
    }

    /// <summary>PNG bytes of any image (default compression).</summary>
    public static byte[] EncodePng(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    /// <summary>A value for a label: 3 significant digits, invariant culture.</summary>
    internal static string FormatValue(float value) =>
        value.ToString(Math.Abs(value) is >= 1e-3f and < 1e5f or 0f ? "0.###" : "0.##E+0", System.Globalization.CultureInfo.InvariantCulture);

    private static void Paint(Image<Rgb24> target, CamMap map, OverlayOptions options, float alpha)
    {
        ValueRange range = options.Range ?? new ValueRange(map.Min, map.Max);
        float span = range.Max - range.Min;
        // Same rule as ValueRange.Normalise: a flat range maps everything to 0.
        float scale = span > 1e-12f ? 1f / span : 0f;
        float min = range.Min;
        Rgb24[] table = options.Colormap.Table.ToArray();
        var plan = new BilinearPlan(map.Raw, map.Width, map.Height, target.Width, target.Height);
        Image<Rgb24> image = target;
        float beta = 1f - alpha;
        int width = target.Width;

        void PaintRow(int y)
        {
            float[] values = new float[width];
            plan.FillRow(y, values);
            Span<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            for (int x = 0; x < width; x++)
            {
                float t = scale == 0f ? 0f : (values[x] - min) * scale;
                Rgb24 c = table[Colormap.Index(t)];
                Rgb24 p = row[x];
                row[x] = new Rgb24(
                    (byte)(alpha * c.R + beta * p.R + 0.5f),
                    (byte)(alpha * c.G + beta * p.G + 0.5f),
                    (byte)(alpha * c.B + beta * p.B + 0.5f));
            }
        }

        if ((long)width * target.Height < 1 << 18)
        {
            for (int y = 0; y < target.Height; y++)
                PaintRow(y);
        }
        else
        {
            Parallel.For(0, target.Height, PaintRow);
        }
    }
}
