using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Studio;

/// <summary>
/// An uploaded, decoded photo. Holds the full-resolution pixels (for the model and full-size downloads) and a
/// display copy no larger than <see cref="DisplayMaxSide"/> (for on-screen overlays), plus a small thumbnail.
/// </summary>
public sealed class StudioPhoto : IDisposable
{
    public const int DisplayMaxSide = 960;

    /// <param name="id">The photo's id (a restored photo keeps the one its URL names); new when null.</param>
    public StudioPhoto(string fileName, Image<Rgb24> pixels, Image<Rgb24> display, string thumbnailDataUrl, Guid? id = null)
    {
        Id = id ?? Guid.NewGuid();
        FileName = fileName;
        Pixels = pixels;
        Display = display;
        ThumbnailDataUrl = thumbnailDataUrl;
    }

    public Guid Id { get; }

    public string FileName { get; }

    public int Width => Pixels.Width;

    public int Height => Pixels.Height;

    /// <summary>Full-resolution pixels.</summary>
    public Image<Rgb24> Pixels { get; }

    /// <summary>The photo scaled down to at most <see cref="DisplayMaxSide"/> pixels on its long side (or <see cref="Pixels"/> itself).</summary>
    public Image<Rgb24> Display { get; }

    public string ThumbnailDataUrl { get; }

    public void Dispose()
    {
        if (!ReferenceEquals(Display, Pixels))
            Display.Dispose();
        Pixels.Dispose();
    }
}
