using System.Buffers.Binary;
using CamStudio.Engine.Imaging;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Imaging;

public sealed class PhotoDecoderTests
{
    private static readonly Rgb24 Teal = new(20, 140, 160);

    public static TheoryData<string, string> Formats => new()
    {
        { "png", "PNG" }, { "jpeg", "JPEG" }, { "bmp", "BMP" }, { "gif", "GIF" }, { "webp", "WebP" }, { "tiff", "TIFF" },
    };

    private static IImageEncoder EncoderFor(string kind) => kind switch
    {
        "png" => new PngEncoder(),
        "jpeg" => new JpegEncoder { Quality = 95 },
        "bmp" => new BmpEncoder(),
        "gif" => new GifEncoder(),
        "webp" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        "tiff" => new TiffEncoder(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void EverySupportedFormatDecodesToRgbOfTheRightSizeAndColour(string kind, string formatName)
    {
        using Image<Rgb24> source = TestImages.Solid(12, 7, Teal);
        byte[] bytes = TestImages.Encode(source, EncoderFor(kind));

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, $"photo.{kind}");

        Assert.Equal(formatName, photo.Format);
        Assert.Equal((12, 7), (photo.Width, photo.Height));
        Assert.Equal((12, 7), (photo.StoredWidth, photo.StoredHeight));
        Assert.Equal("photo." + kind, photo.FileName);
        Rgb24 p = photo.Image[6, 3];
        int tolerance = kind is "jpeg" or "gif" ? 8 : 0; // lossy / palette
        Assert.InRange(p.R, Teal.R - tolerance, Teal.R + tolerance);
        Assert.InRange(p.G, Teal.G - tolerance, Teal.G + tolerance);
        Assert.InRange(p.B, Teal.B - tolerance, Teal.B + tolerance);
    }

    [Fact]
    public void GifDecodesOnlyItsFirstFrame()
    {
        using var gif = new Image<Rgba32>(8, 8, new Rgba32(255, 0, 0));
        using (var blue = new Image<Rgba32>(8, 8, new Rgba32(0, 0, 255)))
            gif.Frames.AddFrame(blue.Frames.RootFrame);
        Assert.Equal(2, gif.Frames.Count);
        byte[] bytes = TestImages.Encode(gif, new GifEncoder());

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "anim.gif");

        Assert.Equal(1, photo.Image.Frames.Count);
        Assert.Equal(new Rgb24(255, 0, 0), photo.Image[4, 4]);
    }

    [Fact]
    public void TransparentPixelsAreCompositedOnWhite()
    {
        using var image = new Image<Rgba32>(4, 1);
        image[0, 0] = new Rgba32(255, 0, 0, 0);     // fully transparent red → white
        image[1, 0] = new Rgba32(0, 0, 0, 128);     // half-transparent black → mid grey
        image[2, 0] = new Rgba32(10, 200, 30, 255); // opaque → unchanged
        image[3, 0] = new Rgba32(0, 0, 255, 255);
        byte[] bytes = TestImages.Encode(image, new PngEncoder { ColorType = PngColorType.RgbWithAlpha });

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "alpha.png");

        Assert.Equal(new Rgb24(255, 255, 255), photo.Image[0, 0]);
        // 0·128/255 + 255·(255 − 128)/255 = 127
        Assert.Equal(new Rgb24(127, 127, 127), photo.Image[1, 0]);
        Assert.Equal(new Rgb24(10, 200, 30), photo.Image[2, 0]);
    }

    [Theory]
    [InlineData("gif")]
    [InlineData("webp")]
    public void TransparencyInOtherFormatsIsCompositedOnWhiteToo(string kind)
    {
        using var image = new Image<Rgba32>(4, 4, new Rgba32(0, 0, 255, 255));
        image[1, 1] = new Rgba32(0, 0, 0, 0);
        IImageEncoder encoder = kind == "gif" ? new GifEncoder() : new WebpEncoder { FileFormat = WebpFileFormatType.Lossless };

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(TestImages.Encode(image, encoder), $"alpha.{kind}");

        Assert.Equal(new Rgb24(255, 255, 255), photo.Image[1, 1]);
        Assert.Equal(new Rgb24(0, 0, 255), photo.Image[2, 2]);
    }

    [Fact]
    public void BmpAlphaIsIgnoredBecauseMany32BitBmpsLeaveItZero()
    {
        using var image = new Image<Bgra32>(4, 4, new Bgra32(200, 30, 10, 0));
        byte[] bytes = TestImages.Encode(image, new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel32 });

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "zero-alpha.bmp");

        Assert.Equal(new Rgb24(200, 30, 10), photo.Image[2, 2]);
    }

    [Fact]
    public void GrayscalePngBecomesEqualRgbChannels()
    {
        using var image = new Image<L8>(5, 5, new L8(100));
        byte[] bytes = TestImages.Encode(image, new PngEncoder { ColorType = PngColorType.Grayscale });

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "gray.png");

        Assert.Equal(new Rgb24(100, 100, 100), photo.Image[2, 2]);
    }

    [Fact]
    public void SixteenBitPngIsReducedToEightBitsPerChannel()
    {
        using var image = new Image<Rgb48>(3, 3, new Rgb48(65535, 0, 32896)); // 32896 = 128·257
        byte[] bytes = TestImages.Encode(image, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Rgb });
        Assert.Equal(16, bytes[24]); // IHDR bit depth: the fixture really is 16-bit

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "deep.png");

        Assert.Equal(new Rgb24(255, 0, 128), photo.Image[1, 1]);
    }

    [Fact]
    public void CmykJpegDecodesToRgb()
    {
        // Fixture made once with ImageMagick: convert -size 16x16 xc:red -colorspace CMYK cmyk-red-16x16.jpg
        byte[] bytes = File.ReadAllBytes(TestImages.Fixture("cmyk-red-16x16.jpg"));
        Assert.Equal(4, JpegComponentCount(bytes));

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "cmyk.jpg");

        Assert.Equal((16, 16), (photo.Width, photo.Height));
        Rgb24 p = photo.Image[8, 8];
        Assert.True(p.R > 220 && p.G < 40 && p.B < 40, $"expected red, got {p}");
    }

    [Fact]
    public void ExifOrientationSixRotatesClockwiseAndTheProfileIsDropped()
    {
        // Stored 40×20 with a red block in the stored top-left corner. Orientation 6 means "rotate 90° clockwise to
        // display", so the photo shows 20×40 with the block in the top-right corner.
        using Image<Rgb24> stored = TestImages.Solid(40, 20, new Rgb24(128, 128, 128));
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 6; x++)
                stored[x, y] = new Rgb24(255, 0, 0);
        stored.Metadata.ExifProfile = new ExifProfile();
        stored.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        byte[] bytes = TestImages.Encode(stored, new JpegEncoder { Quality = 95 });

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "rotated.jpg");

        Assert.Equal((20, 40), (photo.Width, photo.Height));
        Assert.Equal((40, 20), (photo.StoredWidth, photo.StoredHeight));
        Assert.True(IsRed(photo.Image[17, 2]), $"top-right should be red, is {photo.Image[17, 2]}");
        Assert.False(IsRed(photo.Image[2, 2]), "top-left should no longer be red");
        Assert.False(IsRed(photo.Image[17, 37]), "bottom-right should not be red");
        Assert.Null(photo.Image.Metadata.ExifProfile);
    }

    [Fact]
    public void OnePixelImageDecodes()
    {
        using Image<Rgb24> source = TestImages.Solid(1, 1, new Rgb24(1, 2, 3));
        using DecodedPhoto photo = PhotoDecoder.Default.Decode(TestImages.Encode(source, new PngEncoder()), "dot.png");
        Assert.Equal((1, 1), (photo.Width, photo.Height));
        Assert.Equal(new Rgb24(1, 2, 3), photo.Image[0, 0]);
    }

    [Fact]
    public void EmptyFileIsRejectedWithItsName()
    {
        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(Array.Empty<byte>(), "empty.png"));
        Assert.Equal("empty.png: the file is empty", ex.Message);
        Assert.Equal("empty.png", ex.FileName);
        Assert.Equal("the file is empty", ex.Reason);
    }

    [Fact]
    public void TextFileIsNotASupportedImage()
    {
        byte[] text = "Shopping list:\n- eggs\n- coffee\n"u8.ToArray();
        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(text, "/some/folder/notes.txt"));
        Assert.Equal("notes.txt: not a supported image (PNG, JPEG, BMP, GIF, WebP, TIFF)", ex.Message);
    }

    [Fact]
    public void CorruptBytesAfterAValidSignatureAreRejected()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. Enumerable.Range(0, 200).Select(i => (byte)(i * 37))];
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x03, .. Enumerable.Range(0, 200).Select(i => (byte)(i * 53))];

        var pngError = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(png, "bad.png"));
        var jpegError = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(jpeg, "bad.jpg"));

        Assert.StartsWith("bad.png: ", pngError.Message);
        Assert.StartsWith("bad.jpg: ", jpegError.Message);
    }

    [Theory]
    [InlineData(0.6)]
    [InlineData(0.95)]
    public void TruncatedPngIsRejected(double keep)
    {
        using Image<Rgb24> source = TestImages.Noise(64, 64);
        byte[] bytes = TestImages.Encode(source, new PngEncoder());
        byte[] cut = bytes[..(int)(bytes.Length * keep)];

        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(cut, "x.png"));
        Assert.Equal("x.png: the file is truncated", ex.Message);
    }

    [Fact]
    public void PngMissingOnlyItsIendChunkIsTruncated()
    {
        using Image<Rgb24> source = TestImages.Noise(16, 16);
        byte[] bytes = TestImages.Encode(source, new PngEncoder());
        byte[] cut = bytes[..^12]; // IEND is the last 12 bytes: all image data is present, the end is not

        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(cut, "x.png"));
        Assert.Equal("the file is truncated", ex.Reason);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void TruncatedJpegIsRejectedAlthoughImageSharpWouldDecodePartOfIt(double keep)
    {
        using Image<Rgb24> source = TestImages.Noise(64, 64);
        byte[] bytes = TestImages.Encode(source, new JpegEncoder { Quality = 90 });
        byte[] cut = bytes[..(int)(bytes.Length * keep)];

        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(cut, "cat.jpg"));
        Assert.Equal("cat.jpg: the file is truncated", ex.Message);
    }

    [Fact]
    public void JpegMissingOnlyItsEndMarkerIsTruncated()
    {
        using Image<Rgb24> source = TestImages.Noise(16, 16);
        byte[] bytes = TestImages.Encode(source, new JpegEncoder());
        Assert.Equal((0xFF, 0xD9), (bytes[^2], bytes[^1]));

        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(bytes[..^2], "cat.jpg"));
        Assert.Equal("the file is truncated", ex.Reason);
    }

    [Fact]
    public void JpegWithDataAppendedAfterItsEndMarkerStillDecodes()
    {
        // Motion photos and some cameras append data after EOI; the image itself is complete.
        using Image<Rgb24> source = TestImages.Noise(16, 16);
        byte[] bytes = [.. TestImages.Encode(source, new JpegEncoder()), .. "trailing video bytes"u8.ToArray()];

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "motion.jpg");
        Assert.Equal((16, 16), (photo.Width, photo.Height));
    }

    [Theory]
    [InlineData("bmp")]
    [InlineData("gif")]
    [InlineData("webp")]
    [InlineData("tiff")]
    public void TruncatedFilesOfOtherFormatsAreRejected(string kind)
    {
        using Image<Rgb24> source = TestImages.Noise(48, 48);
        byte[] bytes = TestImages.Encode(source, EncoderFor(kind));
        byte[] cut = bytes[..(bytes.Length / 2)];

        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(cut, $"half.{kind}"));
        Assert.Equal($"half.{kind}: the file is truncated", ex.Message);
    }

    [Fact]
    public void HugeDeclaredDimensionsAreRejectedFromTheHeaderWithoutDecoding()
    {
        byte[] png = PngDeclaring(100_000, 100_000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(png, "x.png"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("x.png: 100000×100000 (10000 megapixels) exceeds the 40-megapixel limit", ex.Message);
        // Decoding would need 30 GB of pixels; the header check allocates next to nothing.
        Assert.True(allocated < 4 * 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void ATwelveMegapixelPhotoIsWithinTheDefaultLimits()
    {
        using Image<Rgb24> source = TestImages.Solid(4000, 3000, Teal);
        byte[] bytes = TestImages.Encode(source, new PngEncoder());

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(bytes, "phone.png");
        Assert.Equal((4000, 3000), (photo.Width, photo.Height));
    }

    [Fact]
    public void PixelLimitIsConfigurable()
    {
        var decoder = new PhotoDecoder(new ImageLimits { MaxPixels = 2_000_000 });
        byte[] png = PngDeclaring(2000, 1001);

        var ex = Assert.Throws<PhotoDecodeException>(() => decoder.Decode(png, "x.png"));
        Assert.Equal("x.png: 2000×1001 (2.002 megapixels) exceeds the 2-megapixel limit", ex.Message);
    }

    [Fact]
    public void WidthAndHeightLimitsAreConfigurable()
    {
        var decoder = new PhotoDecoder(new ImageLimits { MaxWidth = 100, MaxHeight = 50 });

        var wide = Assert.Throws<PhotoDecodeException>(() => decoder.Decode(PngDeclaring(101, 10), "wide.png"));
        var tall = Assert.Throws<PhotoDecodeException>(() => decoder.Decode(PngDeclaring(10, 51), "tall.png"));

        Assert.Equal("wide.png: 101×10 is wider than the 100-pixel limit", wide.Message);
        Assert.Equal("tall.png: 10×51 is taller than the 50-pixel limit", tall.Message);
    }

    [Fact]
    public void OversizedFileIsRejectedByItsLengthBeforeItIsRead()
    {
        string folder = Directory.CreateTempSubdirectory("camstudio-imaging-").FullName;
        try
        {
            string path = Path.Combine(folder, "big.jpg");
            using (FileStream stream = File.Create(path))
                stream.SetLength(80L * 1024 * 1024); // sparse: nothing is written

            var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(path));
            Assert.Equal("big.jpg: 80.0 MB exceeds the 64 MB limit", ex.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ByteLimitAppliesToNonSeekableStreamsWhileReading()
    {
        var decoder = new PhotoDecoder(new ImageLimits { MaxBytes = 1024 * 1024 });
        using var stream = new NonSeekableStream(new MemoryStream(new byte[3 * 1024 * 1024]));

        var ex = Assert.Throws<PhotoDecodeException>(() => decoder.Decode(stream, "upload.png"));
        Assert.Equal("upload.png: the file exceeds the 1 MB limit", ex.Message);
        Assert.True(stream.BytesRead <= 1024 * 1024 + 81920, $"read {stream.BytesRead} bytes");
    }

    [Fact]
    public async Task DecodeAsyncReadsAStream()
    {
        using Image<Rgb24> source = TestImages.Solid(9, 4, Teal);
        using var stream = new NonSeekableStream(new MemoryStream(TestImages.Encode(source, new PngEncoder())));

        using DecodedPhoto photo = await PhotoDecoder.Default.DecodeAsync(stream, "upload.png");
        Assert.Equal((9, 4), (photo.Width, photo.Height));
    }

    [Fact]
    public void MissingFileIsReportedByName()
    {
        var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode("/nonexistent/folder/ghost.png"));
        Assert.Equal("ghost.png: the file does not exist", ex.Message);
    }

    [Theory]
    [InlineData("both.png", 224, 224, "PNG")]
    [InlineData("chelsea.png", 451, 300, "PNG")]
    [InlineData("coffee.png", 600, 400, "PNG")]
    [InlineData("cat.bmp", 512, 341, "BMP")]
    [InlineData("grace_hopper.bmp", 512, 600, "BMP")]
    [InlineData("hot_dog.jpg", 512, 384, "JPEG")]
    [InlineData("owl.jpg", 512, 384, "JPEG")]
    [InlineData("parrot.jpg", 512, 929, "JPEG")]
    [InlineData("pets.jpg", 512, 430, "JPEG")]
    [InlineData("dog.jpg", 768, 576, "JPEG")]
    [InlineData("bird.bmp", 512, 343, "BMP")]
    [InlineData("dragonfly.bmp", 512, 418, "BMP")]
    [InlineData("sunflower.bmp", 512, 340, "BMP")]
    [InlineData("kite_and_cold.jpg", 1352, 900, "JPEG")]
    [InlineData("puppies.jpg", 1600, 1200, "JPEG")]
    [InlineData("horses.jpg", 773, 512, "JPEG")]
    public void SharedPhotosDecodeAtTheirDocumentedSize(string name, int width, int height, string format)
    {
        using DecodedPhoto photo = PhotoDecoder.Default.Decode(SharedResources.Image(name));

        Assert.Equal(name, photo.FileName);
        Assert.Equal(format, photo.Format);
        Assert.Equal((width, height), (photo.Width, photo.Height));
    }

    private static bool IsRed(Rgb24 p) => p.R > 200 && p.G < 80 && p.B < 80;

    /// <summary>Number of colour components in the JPEG's SOF0/SOF2 frame header.</summary>
    private static int JpegComponentCount(byte[] jpeg)
    {
        for (int i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2)
                return jpeg[i + 9];
        throw new InvalidDataException("no SOF marker");
    }

    /// <summary>A syntactically complete PNG whose IHDR declares <paramref name="width"/>×<paramref name="height"/>, with a token IDAT.</summary>
    private static byte[] PngDeclaring(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        byte[] ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type RGB
        ImageBombs.WritePngChunk(stream, "IHDR", ihdr);
        ImageBombs.WritePngChunk(stream, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        ImageBombs.WritePngChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
