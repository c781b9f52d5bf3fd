using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// Deep Feature Factorization's picture: the photo with each pixel of the region the model saw tinted in the colour of
/// its strongest concept (as strongly as that concept's scaled map is there), and a legend below, one line per concept.
/// </summary>
public static class ConceptPicture
{
    private const float Alpha = 0.6f;
    private const int FontScale = 2, Margin = 10, Swatch = 14;

    /// <summary>Distinct colours for up to 16 concepts (hues spread round the wheel, as pytorch-grad-cam's hsv colormap).</summary>
    public static Rgb24 Colour(int index, int count)
    {
        float hue = (float)index / Math.Max(count, 1);
        return FromHsv(hue, 0.85f, 1f);
    }

    /// <summary>The picture of <paramref name="concepts"/> (maps with one legend line each) on <paramref name="photo"/>.</summary>
    public static Image<Rgb24> Render(Image<Rgb24> photo, IReadOnlyList<(PlacedMap Map, string Legend)> concepts)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(concepts);
        if (concepts.Count == 0)
            throw new ArgumentException("A concept picture needs at least one concept.", nameof(concepts));
        int line = BitmapFont.LineHeight(FontScale) + 4;
        int legendWidth = concepts.Max(c => BitmapFont.MeasureWidth(c.Legend, FontScale)) + Swatch + 3 * Margin;
        int width = Math.Max(photo.Width, legendWidth), height = photo.Height + Margin + concepts.Count * line + Margin;
        var picture = new Image<Rgb24>(width, height, new Rgb24(255, 255, 255));
        using (Image<Rgb24> regions = RenderRegions(photo, concepts.Select(c => c.Map).ToList()))
        {
            picture.ProcessPixelRows(regions, (target, source) =>
            {
                for (int y = 0; y < source.Height; y++)
                    source.GetRowSpan(y).CopyTo(target.GetRowSpan(y));
            });
        }
        for (int k = 0; k < concepts.Count; k++)
        {
            int top = photo.Height + Margin + k * line;
            Rgb24 colour = Colour(k, concepts.Count);
            picture.ProcessPixelRows(rows =>
            {
                for (int y = top; y < top + Swatch && y < rows.Height; y++)
                    rows.GetRowSpan(y).Slice(Margin, Swatch).Fill(colour);
            });
            BitmapFont.Draw(picture, concepts[k].Legend, Margin + Swatch + Margin, top, new Rgb24(20, 20, 20), FontScale);
        }
        return picture;
    }

    /// <summary>
    /// The regions alone: <paramref name="photo"/> (same size) with each pixel the model saw tinted in its strongest
    /// concept's colour, for a page that shows the legend itself (in its own theme's colours).
    /// </summary>
    public static Image<Rgb24> RenderRegions(Image<Rgb24> photo, IReadOnlyList<PlacedMap> maps)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0)
            throw new ArgumentException("A concept picture needs at least one concept.", nameof(maps));
        var picture = new Image<Rgb24>(photo.Width, photo.Height);
        Rectangle region = maps[0].Placement.On(photo.Width, photo.Height);
        var scaled = maps.Select(m =>
        {
            float[] values = MapResampler.Resize(m.Map, region.Width, region.Height);
            float max = values.Max();
            for (int i = 0; i < values.Length; i++)
                values[i] = max > 0 ? Math.Max(values[i], 0) / max : 0;
            return values;
        }).ToArray();
        picture.ProcessPixelRows(photo, (target, source) =>
        {
            for (int y = 0; y < source.Height; y++)
            {
                Span<Rgb24> to = target.GetRowSpan(y);
                ReadOnlySpan<Rgb24> from = source.GetRowSpan(y);
                for (int x = 0; x < source.Width; x++)
                {
                    Rgb24 p = from[x];
                    int rx = x - region.X, ry = y - region.Y;
                    if (rx >= 0 && ry >= 0 && rx < region.Width && ry < region.Height)
                    {
                        int best = 0;
                        for (int k = 1; k < scaled.Length; k++)
                            if (scaled[k][ry * region.Width + rx] > scaled[best][ry * region.Width + rx])
                                best = k;
                        float a = Alpha * scaled[best][ry * region.Width + rx];
                        Rgb24 c = Colour(best, scaled.Length);
                        p = new Rgb24(Blend(p.R, c.R, a), Blend(p.G, c.G, a), Blend(p.B, c.B, a));
                    }
                    to[x] = p;
                }
            }
        });
        return picture;
    }

    private static byte Blend(byte photo, byte colour, float alpha) => (byte)Math.Clamp(MathF.Round(photo * (1 - alpha) + colour * alpha), 0, 255);

    private static Rgb24 FromHsv(float h, float s, float v)
    {
        float c = v * s, hp = h * 6, x = c * (1 - Math.Abs(hp % 2 - 1)), m = v - c;
        (float r, float g, float b) = (int)hp switch
        {
            0 => (c, x, 0f),
            1 => (x, c, 0f),
            2 => (0f, c, x),
            3 => (0f, x, c),
            4 => (x, 0f, c),
            _ => (c, 0f, x),
        };
        return new Rgb24((byte)MathF.Round((r + m) * 255), (byte)MathF.Round((g + m) * 255), (byte)MathF.Round((b + m) * 255));
    }
}
