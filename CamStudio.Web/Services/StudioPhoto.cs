using System.Collections.Concurrent;
using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Services;

/// <summary>
/// An uploaded, decoded photo. Holds the full-resolution pixels (for the model and full-size downloads) and a
/// display copy no larger than <see cref="DisplayMaxSide"/> (for on-screen overlays), plus a small thumbnail.
/// </summary>
public sealed class StudioPhoto : IDisposable
{
    public const int DisplayMaxSide = 960;

    public StudioPhoto(string fileName, Image<Rgb24> pixels, Image<Rgb24> display, string thumbnailDataUrl)
    {
        FileName = fileName;
        Pixels = pixels;
        Display = display;
        ThumbnailDataUrl = thumbnailDataUrl;
    }

    public Guid Id { get; } = Guid.NewGuid();

    public string FileName { get; }

    public int Width => Pixels.Width;

    public int Height => Pixels.Height;

    /// <summary>Full-resolution pixels.</summary>
    public Image<Rgb24> Pixels { get; }

    /// <summary>The photo scaled down to at most <see cref="DisplayMaxSide"/> pixels on its long side (or <see cref="Pixels"/> itself).</summary>
    public Image<Rgb24> Display { get; }

    public string ThumbnailDataUrl { get; }

    private readonly ConcurrentDictionary<PreprocessingSpecKey, Image<Rgb24>> _modelInputs = new();

    /// <summary>The photo resized (and cropped) as a model with <paramref name="spec"/> sees it; cached per spec.</summary>
    internal Image<Rgb24> ModelInput(PreprocessingSpec spec) =>
        _modelInputs.GetOrAdd(new PreprocessingSpecKey(spec.InputWidth, spec.InputHeight, spec.Resize), _ => PhotoPreprocessor.Resize(Pixels, spec));

    private readonly record struct PreprocessingSpecKey(int Width, int Height, ResizeMode Resize);

    public void Dispose()
    {
        foreach (Image<Rgb24> input in _modelInputs.Values)
            input.Dispose();
        _modelInputs.Clear();
        if (!ReferenceEquals(Display, Pixels))
            Display.Dispose();
        Pixels.Dispose();
    }
}
