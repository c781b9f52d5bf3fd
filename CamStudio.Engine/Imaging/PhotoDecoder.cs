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
/// RGB; transparent pixels are composited on white (so a transparent background reads as white paper, not black).
/// Every failure is a <see cref="PhotoDecodeException"/> naming the file.
/// </summary>
public sealed class PhotoDecoder
{
    public const string SupportedFormatList = "PNG, JPEG, BMP, GIF, WebP, TIFF";

    private const double BytesPerMegabyte = 1024 * 1024;

    private readonly Configuration _configuration;

    public PhotoDecoder(ImageLimits? limits = null)
    {
        Limits = limits ?? ImageLimits.Default;
        Limits.Validate();
        _configuration = Configuration.Default.Clone();
        // Only the first frame of an animation is used; do not decode the rest.
        _configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
    }

    public static PhotoDecoder Default { get; } = new();

    public ImageLimits Limits { get; }

    /// <summary>Decodes the file at <paramref name="path"/>; its size is checked before it is read.</summary>
    public DecodedPhoto Decode(string path)
    {
        string fileName = Path.GetFileName(path);
        FileInfo info = new(path);
        if (!info.Exists)
            throw new PhotoDecodeException(fileName, "the file does not exist");
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
    public DecodedPhoto Decode(ReadOnlyMemory<byte> bytes, string fileName)
    {
        fileName = Path.GetFileName(fileName);
        CheckByteLength(fileName, bytes.Length);
        return DecodeChecked(bytes, fileName);
    }

    /// <summary>Reads <paramref name="stream"/> (at most the byte limit, plus one byte to detect excess) and decodes it.</summary>
    public DecodedPhoto Decode(Stream stream, string fileName)
    {
        fileName = Path.GetFileName(fileName);
        ReadOnlyMemory<byte> bytes = ReadBounded(stream, fileName);
        return DecodeChecked(bytes, fileName);
    }

    /// <summary>Reads <paramref name="stream"/> asynchronously (bounded by the byte limit), then decodes it.</summary>
    public async Task<DecodedPhoto> DecodeAsync(Stream stream, string fileName, CancellationToken cancellationToken = default)
    {
        fileName = Path.GetFileName(fileName);
        if (stream.CanSeek)
            CheckByteLength(fileName, stream.Length - stream.Position);
        var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > Limits.MaxBytes)
                throw new PhotoDecodeException(fileName, $"the file exceeds the {FormatMegabytes(Limits.MaxBytes)} MB limit");
        }
        cancellationToken.ThrowIfCancellationRequested();
        return DecodeChecked(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), fileName);
    }

    private ReadOnlyMemory<byte> ReadBounded(Stream stream, string fileName)
    {
        try
        {
            if (stream.CanSeek)
                CheckByteLength(fileName, stream.Length - stream.Position);
            var buffer = new MemoryStream();
            byte[] chunk = new byte[81920];
            int read;
            while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > Limits.MaxBytes)
                    throw new PhotoDecodeException(fileName, $"the file exceeds the {FormatMegabytes(Limits.MaxBytes)} MB limit");
            }
            return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        }
        catch (IOException ex)
        {
            throw new PhotoDecodeException(fileName, $"the file could not be read ({ex.Message})", ex);
        }
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

        Image<Rgb24> image;
        try
        {
            using var stream = AsStream(bytes);
            image = formatName == "JPEG"
                ? Image.Load<Rgb24>(_configuration, stream) // JPEG has no alpha: decode straight to RGB
                : LoadCompositedOnWhite(stream);
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
        long pixels = (long)width * height;
        if (pixels > Limits.MaxPixels)
        {
            (string size, string limit) = FormatMegapixels(pixels, Limits.MaxPixels);
            throw new PhotoDecodeException(fileName, $"{width}×{height} ({size} megapixels) exceeds the {limit}-megapixel limit");
        }
        if (width > Limits.MaxWidth)
            throw new PhotoDecodeException(fileName, $"{width}×{height} is wider than the {Limits.MaxWidth}-pixel limit");
        if (height > Limits.MaxHeight)
            throw new PhotoDecodeException(fileName, $"{width}×{height} is taller than the {Limits.MaxHeight}-pixel limit");
    }

    /// <summary>EXIF orientations 5–8 rotate by a quarter turn, so the displayed width is the stored height.</summary>
    private static bool IsTransposed(IImageInfo info)
    {
        IExifValue<ushort>? orientation = info.Metadata.ExifProfile?.GetValue(ExifTag.Orientation);
        return orientation is not null && orientation.Value is >= 5 and <= 8;
    }

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
