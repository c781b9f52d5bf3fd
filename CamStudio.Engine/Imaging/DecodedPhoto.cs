using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// A decoded, upright RGB photo. <see cref="Image"/> is already rotated per EXIF orientation, so its size can differ
/// from <see cref="StoredWidth"/>×<see cref="StoredHeight"/> (the size as encoded in the file). Owns the image.
/// </summary>
public sealed class DecodedPhoto : IDisposable
{
    private bool _detached;

    public DecodedPhoto(Image<Rgb24> image, string fileName, string format, int storedWidth, int storedHeight, long byteLength)
    {
        Image = image;
        FileName = fileName;
        Format = format;
        StoredWidth = storedWidth;
        StoredHeight = storedHeight;
        ByteLength = byteLength;
    }

    public Image<Rgb24> Image { get; }

    /// <summary>File name without folder, as used in error messages and labels.</summary>
    public string FileName { get; }

    /// <summary>Original format name: PNG, JPEG, BMP, GIF, WebP or TIFF.</summary>
    public string Format { get; }

    public int StoredWidth { get; }

    public int StoredHeight { get; }

    /// <summary>Width as displayed (after EXIF orientation).</summary>
    public int Width => Image.Width;

    /// <summary>Height as displayed (after EXIF orientation).</summary>
    public int Height => Image.Height;

    public long ByteLength { get; }

    /// <summary>Hands the image over to the caller, who then owns it (disposing this photo no longer disposes it).</summary>
    public Image<Rgb24> DetachImage()
    {
        _detached = true;
        return Image;
    }

    public void Dispose()
    {
        if (!_detached)
            Image.Dispose();
    }

}
