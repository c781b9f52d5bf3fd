namespace CamStudio.Engine.Imaging;

/// <summary>
/// Limits checked before a photo is fully decoded, so a hostile or accidental upload cannot exhaust memory.
/// Defaults let a 12-megapixel phone photo (and much larger ones) through.
/// </summary>
public sealed record ImageLimits
{
    public const long DefaultMaxBytes = 64L * 1024 * 1024;
    public const long DefaultMaxPixels = 100_000_000;
    public const int DefaultMaxSide = 30_000;

    public static ImageLimits Default { get; } = new();

    /// <summary>Largest accepted encoded file, in bytes (default 64 MiB).</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>Largest accepted width × height (default 100 megapixels).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Largest accepted width, in pixels, as displayed (after EXIF orientation).</summary>
    public int MaxWidth { get; init; } = DefaultMaxSide;

    /// <summary>Largest accepted height, in pixels, as displayed (after EXIF orientation).</summary>
    public int MaxHeight { get; init; } = DefaultMaxSide;

    internal void Validate()
    {
        if (MaxBytes <= 0 || MaxPixels <= 0 || MaxWidth <= 0 || MaxHeight <= 0)
            throw new ArgumentException("Image limits must all be positive.");
    }
}
