namespace CamStudio.Engine.Imaging;

/// <summary>
/// Limits checked before a photo is fully decoded, so a hostile or accidental upload cannot exhaust memory.
/// Defaults let a 12-megapixel phone photo (and much larger ones) through.
/// </summary>
public sealed record ImageLimits
{
    public const long DefaultMaxBytes = 64L * 1024 * 1024;

    /// <summary>One pixel limit for the studio, the HTTP API and batch jobs (the web app's <c>CamStudio:MaxPhotoPixels</c>).</summary>
    public const long DefaultMaxPixels = 40_000_000;

    public const int DefaultMaxSide = 30_000;

    /// <summary>Default <see cref="DecodeMemoryBytes"/>: 1 GiB, i.e. three 40-megapixel decodes at a time.</summary>
    public const long DefaultDecodeMemoryBytes = 1L << 30;

    /// <summary>
    /// Bytes a decode may hold per pixel at its peak: an RGBA32 frame (4) plus the RGB24 result (3) while transparency
    /// is composited, rounded up.
    /// </summary>
    public const int DecodeBytesPerPixel = 8;

    public static ImageLimits Default { get; } = new();

    /// <summary>Largest accepted encoded file, in bytes (default 64 MiB).</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>Largest accepted width × height of any page (default 40 megapixels).</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;

    /// <summary>Largest accepted width, in pixels, as displayed (after EXIF orientation).</summary>
    public int MaxWidth { get; init; } = DefaultMaxSide;

    /// <summary>Largest accepted height, in pixels, as displayed (after EXIF orientation).</summary>
    public int MaxHeight { get; init; } = DefaultMaxSide;

    /// <summary>
    /// Memory that decodes running at once may use together (default 1 GiB); it sets <see cref="ConcurrentDecodes"/>,
    /// so 16 parallel uploads of 40-megapixel PNGs wait their turn instead of taking 3.4 GB.
    /// </summary>
    public long DecodeMemoryBytes { get; init; } = DefaultDecodeMemoryBytes;

    /// <summary>How many photos one <see cref="PhotoDecoder"/> decodes at once: the memory budget over a largest photo's peak, at least 1.</summary>
    public int ConcurrentDecodes =>
        MaxPixels > long.MaxValue / DecodeBytesPerPixel ? 1 : (int)Math.Clamp(DecodeMemoryBytes / (MaxPixels * DecodeBytesPerPixel), 1, 1024);

    internal void Validate()
    {
        if (MaxBytes <= 0 || MaxPixels <= 0 || MaxWidth <= 0 || MaxHeight <= 0 || DecodeMemoryBytes <= 0)
            throw new ArgumentException("Image limits must all be positive.");
    }
}
