using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// Decodes PNG, JPEG, BMP, GIF (first frame), WebP and TIFF into an upright <see cref="Image{Rgb24}"/>.
/// Limits are enforced before pixels are decoded: byte length first, then the dimensions from the header.
/// EXIF orientation is applied and the EXIF profile dropped. Grayscale, 16-bit, CMYK and palette images end as 8-bit
/// RGB; transparent pixels are composited on white (so a transparent background reads as white paper, not black),
/// except in BMP files, whose alpha byte is ignored.
/// Every failure is a <see cref="PhotoDecodeException"/> naming the file.
/// Hostile files are defused before ImageSharp reads them (PNG text chunks dropped unread, TIFF cut to its first page
/// after every page's size is checked, animated WebP cut to its first frame), truncation is found by walking the
/// container (<see cref="EncodedImageStructure"/>; TGA and Netpbm too), and at most
/// <see cref="ImageLimits.ConcurrentDecodes"/> photos decode at once per decoder.
/// </summary>
public sealed class PhotoDecoder
{
    public const string SupportedFormatList = "PNG, JPEG, BMP, GIF, WebP, TIFF";

    private const double BytesPerMegabyte = 1024 * 1024;
    private const int ReadChunk = 81920;

    private readonly Configuration _configuration;
    private readonly SemaphoreSlim _decodeSlots;

    public PhotoDecoder(ImageLimits? limits = null)
    {
        Limits = limits ?? ImageLimits.Default;
        Limits.Validate();
        _decodeSlots = new SemaphoreSlim(Limits.ConcurrentDecodes);
        _configuration = Configuration.Default.Clone();
        // Only the first frame of an animation is used; do not decode the rest.
        _configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
    }

    public static PhotoDecoder Default { get; } = new();

    public ImageLimits Limits { get; }

    /// <summary>Test hook: runs on the decoding thread right after it takes a decode slot (and before it decodes).</summary>
    internal Action? DecodeSlotTaken { get; set; }

    /// <summary>Test hook: runs on the decoding thread right before it waits for a decode slot.</summary>
    internal Action? DecodeSlotWanted { get; set; }

    /// <summary>Decode slots free right now (of <see cref="ImageLimits.ConcurrentDecodes"/>).</summary>
    internal int FreeDecodeSlots => _decodeSlots.CurrentCount;

    /// <summary>Decodes the file at <paramref name="path"/>; its size is checked before it is read.</summary>
    public DecodedPhoto Decode(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fileName = Path.GetFileName(path);
        FileInfo info = new(path);
        if (!info.Exists)
            throw new PhotoDecodeException(PhotoDecodeErrorKind.NotFound, fileName, "the file does not exist");
        CheckByteLength(fileName, info.Length);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PhotoDecodeException(fileName, $"the file could not be read ({ex.Message})", ex);
        }
        return Decode(bytes, fileName);
    }

    /// <summary>Decodes a whole encoded file held in memory.</summary>
    public DecodedPhoto Decode(ReadOnlyMemory<byte> bytes, string fileName) =>
        DecodeChecked(bytes, Path.GetFileName(fileName));

    /// <summary>Reads <paramref name="stream"/> (never more than the byte limit plus one chunk) and decodes it.</summary>
    public DecodedPhoto Decode(Stream stream, string fileName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        fileName = Path.GetFileName(fileName);
        try
        {
            MemoryStream buffer = StartReading(stream, fileName);
            byte[] chunk = new byte[ReadChunk];
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
                Append(buffer, chunk.AsSpan(0, read), fileName);
            return DecodeChecked(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), fileName);
        }
        catch (IOException ex)
        {
            throw new PhotoDecodeException(fileName, $"the file could not be read ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// Reads <paramref name="stream"/> asynchronously (bounded like <see cref="Decode(Stream, string)"/>), e.g. an
    /// upload, then decodes it on the calling thread.
    /// </summary>
    public async Task<DecodedPhoto> DecodeAsync(Stream stream, string fileName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        fileName = Path.GetFileName(fileName);
        MemoryStream buffer;
        try
        {
            buffer = StartReading(stream, fileName);
            byte[] chunk = new byte[ReadChunk];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                Append(buffer, chunk.AsSpan(0, read), fileName);
        }
        catch (IOException ex)
        {
            throw new PhotoDecodeException(fileName, $"the file could not be read ({ex.Message})", ex);
        }
        return DecodeChecked(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), fileName);
    }

    private MemoryStream StartReading(Stream stream, string fileName)
    {
        if (stream.CanSeek)
            CheckByteLength(fileName, stream.Length - stream.Position);
        return new MemoryStream();
    }

    private void Append(MemoryStream buffer, ReadOnlySpan<byte> chunk, string fileName)
    {
        buffer.Write(chunk);
        if (buffer.Length > Limits.MaxBytes)
            throw new PhotoDecodeException(PhotoDecodeErrorKind.TooLarge, fileName, $"the file exceeds the {FormatMegabytes(Limits.MaxBytes)} MB limit");
    }

    private void CheckByteLength(string fileName, long length)
    {
        if (length == 0)
            throw new PhotoDecodeException(fileName, "the file is empty");
        if (length > Limits.MaxBytes)
            throw new PhotoDecodeException(fileName,
                $"{(length / BytesPerMegabyte).ToString("0.0", CultureInfo.InvariantCulture)} MB exceeds the {FormatMegabytes(Limits.MaxBytes)} MB limit");
    }

    private DecodedPhoto DecodeChecked(ReadOnlyMemory<byte> bytes, string fileName)
    {
        CheckByteLength(fileName, bytes.Length);
        ReadOnlySpan<byte> span = bytes.Span;

        IImageFormat? format = Image.DetectFormat(_configuration, span);
        if (format is null)
            throw NotSupported(fileName);
        string formatName = FormatName(format);
        bytes = Defuse(fileName, formatName, bytes);
        span = bytes.Span;

        IImageInfo? info;
        try
        {
            using var identifyStream = AsStream(bytes);
            info = Image.Identify(_configuration, identifyStream, out _);
        }
        catch (Exception ex) when (IsDecodingFailure(ex))
        {
            throw Damaged(fileName, formatName, span, ex);
        }
        if (info is null)
            throw NotSupported(fileName);

        CheckDimensions(fileName, info);

        StructureCheck structure = CheckStructure(formatName, span);
        if (structure == StructureCheck.Truncated)
            throw new PhotoDecodeException(fileName, "the file is truncated");
        if (structure == StructureCheck.Corrupt)
            throw new PhotoDecodeException(fileName, $"the file is damaged (not a valid {formatName})");

        DecodeSlotWanted?.Invoke();
        _decodeSlots.Wait();
        try
        {
            DecodeSlotTaken?.Invoke();
            return DecodePixels(bytes, fileName, formatName, info);
        }
        finally
        {
            _decodeSlots.Release();
        }
    }

    /// <summary>
    /// Takes out what would cost memory before any decoder reads it: PNG text and profile chunks (inflated unbounded
    /// by ImageSharp), every TIFF page after the first (each checked against the limits first), an animated WebP's
    /// later frames.
    /// </summary>
    private ReadOnlyMemory<byte> Defuse(string fileName, string formatName, ReadOnlyMemory<byte> bytes)
    {
        switch (formatName)
        {
            case "PNG":
                return PngChunkFilter.Strip(bytes);
            case "TIFF":
                List<TiffPage>? pages = TiffDirectories.Pages(bytes.Span);
                if (pages is null)
                    return bytes;
                // Page 1 is checked after Identify, with its EXIF orientation; the others are never decoded, but
                // refused all the same: a file that hides a huge page is not a photo.
                for (int i = 1; i < pages.Count; i++)
                {
                    if (pages[i].Width > 0 && pages[i].Height > 0)
                        CheckSize(fileName, $"page {i + 1} of {pages.Count}: ", pages[i].Width, pages[i].Height);
                }
                return pages.Count > 1 ? TiffDirectories.FirstPageOnly(bytes.Span, pages[0], TiffDirectories.IsBigTiff(bytes.Span)) : bytes;
            case "WebP":
                return WebpFirstFrame.Extract(bytes) ?? bytes;
            default:
                return bytes;
        }
    }

    private DecodedPhoto DecodePixels(ReadOnlyMemory<byte> bytes, string fileName, string formatName, IImageInfo info)
    {
        ReadOnlySpan<byte> span = bytes.Span;
        Image<Rgb24> image;
        try
        {
            using var stream = AsStream(bytes);
            image = MayHaveAlpha(formatName, span)
                ? LoadCompositedOnWhite(stream)
                : Image.Load<Rgb24>(_configuration, stream); // no alpha: decode straight to RGB (3 bytes a pixel)
        }
        catch (Exception ex) when (IsDecodingFailure(ex))
        {
            throw Damaged(fileName, formatName, span, ex);
        }

        try
        {
            while (image.Frames.Count > 1)
                image.Frames.RemoveFrame(image.Frames.Count - 1);
            image.Mutate(x => x.AutoOrient());
            image.Metadata.ExifProfile = null;
            return new DecodedPhoto(image, fileName, formatName, info.Width, info.Height, bytes.Length);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    private void CheckDimensions(string fileName, IImageInfo info)
    {
        int width = info.Width, height = info.Height;
        if (width <= 0 || height <= 0)
            throw new PhotoDecodeException(fileName, $"the image declares an invalid size {width}×{height}");
        if (IsTransposed(info))
            (width, height) = (height, width);
        CheckSize(fileName, "", width, height);
    }

    /// <summary>Width × height against the limits; <paramref name="page"/> is "" for the photo, or "page 2 of 3: " for one TIFF page.</summary>
    private void CheckSize(string fileName, string page, long width, long height)
    {
        long pixels = width * height;
        if (pixels > Limits.MaxPixels)
        {
            (string size, string limit) = FormatMegapixels(pixels, Limits.MaxPixels);
            throw new PhotoDecodeException(PhotoDecodeErrorKind.TooLarge, fileName, $"{page}{width}×{height} ({size} megapixels) exceeds the {limit}-megapixel limit");
        }
        if (width > Limits.MaxWidth)
            throw new PhotoDecodeException(PhotoDecodeErrorKind.TooLarge, fileName, $"{page}{width}×{height} is wider than the {Limits.MaxWidth}-pixel limit");
        if (height > Limits.MaxHeight)
            throw new PhotoDecodeException(PhotoDecodeErrorKind.TooLarge, fileName, $"{page}{width}×{height} is taller than the {Limits.MaxHeight}-pixel limit");
    }

    /// <summary>EXIF orientations 5–8 rotate by a quarter turn, so the displayed width is the stored height.</summary>
    private static bool IsTransposed(IImageInfo info)
    {
        IExifValue<ushort>? orientation = info.Metadata.ExifProfile?.GetValue(ExifTag.Orientation);
        return orientation is not null && orientation.Value is >= 5 and <= 8;
    }

    /// <summary>
    /// Whether transparency must be composited: PNG with an alpha colour type or a tRNS chunk, and GIF, WebP and
    /// TIFF (which may carry alpha). JPEG has none; BMP alpha is ignored, because many 32-bit BMPs leave the fourth
    /// byte zero although the image is opaque.
    /// </summary>
    private static bool MayHaveAlpha(string formatName, ReadOnlySpan<byte> data) => formatName switch
    {
        "JPEG" or "BMP" => false,
        "PNG" => data.Length > 25 && (data[25] is 4 or 6 || data.IndexOf("tRNS"u8) >= 0),
        _ => true,
    };

    private Image<Rgb24> LoadCompositedOnWhite(Stream stream)
    {
        using Image<Rgba32> rgba = Image.Load<Rgba32>(_configuration, stream);
        while (rgba.Frames.Count > 1)
            rgba.Frames.RemoveFrame(rgba.Frames.Count - 1);
        var rgb = new Image<Rgb24>(_configuration, rgba.Width, rgba.Height);
        rgb.Metadata.ExifProfile = rgba.Metadata.ExifProfile?.DeepClone();
        rgba.ProcessPixelRows(rgb, (source, target) =>
        {
            for (int y = 0; y < source.Height; y++)
            {
                Span<Rgba32> from = source.GetRowSpan(y);
                Span<Rgb24> to = target.GetRowSpan(y);
                for (int x = 0; x < from.Length; x++)
                {
                    Rgba32 p = from[x];
                    if (p.A == 255)
                    {
                        to[x] = new Rgb24(p.R, p.G, p.B);
                        continue;
                    }
                    int a = p.A, white = 255 * (255 - a);
                    to[x] = new Rgb24(
                        (byte)((p.R * a + white + 127) / 255),
                        (byte)((p.G * a + white + 127) / 255),
                        (byte)((p.B * a + white + 127) / 255));
                }
            }
        });
        return rgb;
    }

    private static StructureCheck CheckStructure(string formatName, ReadOnlySpan<byte> data) => formatName switch
    {
        "JPEG" => EncodedImageStructure.CheckJpeg(data),
        "PNG" => EncodedImageStructure.CheckPng(data),
        "BMP" => EncodedImageStructure.CheckBmp(data),
        "GIF" => EncodedImageStructure.CheckGif(data),
        "WebP" => EncodedImageStructure.CheckWebp(data),
        "TIFF" => EncodedImageStructure.CheckTiff(data),
        "TGA" => EncodedImageStructure.CheckTga(data),
        "PBM" => EncodedImageStructure.CheckPbm(data),
        _ => StructureCheck.Complete,
    };

    private static PhotoDecodeException Damaged(string fileName, string formatName, ReadOnlySpan<byte> data, Exception ex)
    {
        if (CheckStructure(formatName, data) == StructureCheck.Truncated || ex is EndOfStreamException)
            return new PhotoDecodeException(fileName, "the file is truncated", ex);
        return new PhotoDecodeException(fileName, $"the file is damaged (not a valid {formatName})", ex);
    }

    private static PhotoDecodeException NotSupported(string fileName) =>
        new(fileName, $"not a supported image ({SupportedFormatList})");

    private static bool IsDecodingFailure(Exception ex) => ex is not (OutOfMemoryException or OperationCanceledException);

    private static MemoryStream AsStream(ReadOnlyMemory<byte> bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out ArraySegment<byte> segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);

    private static string FormatName(IImageFormat format) => format.Name.ToUpperInvariant() switch
    {
        "WEBP" => "WebP",
        "JPG" => "JPEG",
        "TIF" => "TIFF",
        string upper => upper,
    };

    private static string FormatMegabytes(long bytes) =>
        (bytes / BytesPerMegabyte).ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>Megapixel figures with as few decimals as keep the size visibly above the limit (at most three).</summary>
    private static (string Size, string Limit) FormatMegapixels(long pixels, long limit)
    {
        string[] formats = pixels >= 10_000_000 ? ["0", "0.#", "0.###"] : ["0.#", "0.###"];
        string size = "", max = "";
        foreach (string format in formats)
        {
            size = (pixels / 1e6).ToString(format, CultureInfo.InvariantCulture);
            max = (limit / 1e6).ToString(format, CultureInfo.InvariantCulture);
            if (size != max)
                break;
        }
        return (size, max);
    }
}
