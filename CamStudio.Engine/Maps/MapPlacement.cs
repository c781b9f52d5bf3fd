using CamStudio.Engine.Imaging;

namespace CamStudio.Engine.Maps;

/// <summary>
/// Where a map of the model's input sits on the photo: the region the model saw (all of it when stretched, the
/// centred crop for centre-crop models), as fractions of the photo's width and height, so it fits any display size.
/// </summary>
/// <param name="Left">Left edge, 0 = the photo's left edge.</param>
/// <param name="Top">Top edge, 0 = the photo's top edge.</param>
/// <param name="Width">Width, 1 = the photo's width.</param>
/// <param name="Height">Height, 1 = the photo's height.</param>
public sealed record MapPlacement(double Left, double Top, double Width, double Height)
{
    /// <summary>The whole photo.</summary>
    public static MapPlacement WholePhoto { get; } = new(0, 0, 1, 1);

    /// <summary>The region of a <paramref name="photoWidth"/>×<paramref name="photoHeight"/> photo that <paramref name="spec"/> feeds the model.</summary>
    public static MapPlacement For(int photoWidth, int photoHeight, PreprocessingSpec spec)
    {
        SixLabors.ImageSharp.Rectangle region = PhotoPreprocessor.InputRegion(photoWidth, photoHeight, spec);
        return new MapPlacement((double)region.X / photoWidth, (double)region.Y / photoHeight,
            (double)region.Width / photoWidth, (double)region.Height / photoHeight);
    }

    /// <summary>The region in pixels of a photo shown at <paramref name="width"/>×<paramref name="height"/> (at least one pixel).</summary>
    public SixLabors.ImageSharp.Rectangle On(int width, int height)
    {
        int left = (int)Math.Round(Left * width), top = (int)Math.Round(Top * height);
        int right = Math.Min(width, (int)Math.Round((Left + Width) * width));
        int bottom = Math.Min(height, (int)Math.Round((Top + Height) * height));
        return new SixLabors.ImageSharp.Rectangle(left, top, Math.Max(1, right - left), Math.Max(1, bottom - top));
    }
}
