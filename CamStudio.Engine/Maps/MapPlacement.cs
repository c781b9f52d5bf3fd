using SixLabors.ImageSharp;

namespace CamStudio.Engine.Maps;

/// <summary>
/// Where a map of the model's input sits on the photo: the region the model saw (all of it when stretched, the
/// centred crop for centre-crop models), as fractions of the photo's width and height, so it fits any display size.
/// Made from the model's preprocessing by the imaging layer (<c>PhotoPreprocessor.Placement</c>).
/// </summary>
/// <param name="Left">Left edge, 0 = the photo's left edge.</param>
/// <param name="Top">Top edge, 0 = the photo's top edge.</param>
/// <param name="Width">Width, 1 = the photo's width.</param>
/// <param name="Height">Height, 1 = the photo's height.</param>
public sealed record MapPlacement(double Left, double Top, double Width, double Height)
{
    /// <summary>The whole photo (a model that stretches the photo to its input).</summary>
    public static MapPlacement WholePhoto { get; } = new(0, 0, 1, 1);

    /// <summary>The placement of <paramref name="region"/> on a <paramref name="photoWidth"/>×<paramref name="photoHeight"/> photo.</summary>
    public static MapPlacement Of(Rectangle region, int photoWidth, int photoHeight)
    {
        if (photoWidth <= 0 || photoHeight <= 0)
            throw new ArgumentException($"Photo size {photoWidth}×{photoHeight} must be positive.");
        return new MapPlacement((double)region.X / photoWidth, (double)region.Y / photoHeight,
            (double)region.Width / photoWidth, (double)region.Height / photoHeight);
    }

    /// <summary>The region in pixels on the photo shown at <paramref name="width"/>×<paramref name="height"/> (at least one pixel, inside it).</summary>
    public Rectangle On(int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Photo size {width}×{height} must be positive.");
        int left = Math.Clamp((int)Math.Round(Left * width), 0, width - 1), top = Math.Clamp((int)Math.Round(Top * height), 0, height - 1);
        int right = Math.Min(width, (int)Math.Round((Left + Width) * width));
        int bottom = Math.Min(height, (int)Math.Round((Top + Height) * height));
        return new Rectangle(left, top, Math.Max(1, right - left), Math.Max(1, bottom - top));
    }
}
