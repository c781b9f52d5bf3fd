using CamStudio.Engine.Imaging;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace CamStudio.Tests.Imaging;

/// <summary>
/// Decompression bombs and malformed files that used to pass the limits (issue 9): each is built in the test, a few KB,
/// and what decoding it costs is printed for the notes (peak RSS is process-wide, so only this thread's managed
/// allocations are asserted on).
/// </summary>
public sealed class ImageBombTests
{
    private readonly ITestOutputHelper _output;

    public ImageBombTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void PngTextAndProfileChunksAreSkippedBeforeTheyAreInflated()
    {
        using Image<Rgb24> source = TestImages.Noise(24, 16);
        // 12 chunks of 8 MB of zeros each: 96 MB of text behind 100 KB of file.
        byte[] bomb = ImageBombs.PngWithTextBombs(source, chunks: 12, inflatedBytes: 8 << 20);
        _output.WriteLine($"zTXt/iTXt/iCCP PNG: {bomb.Length / 1024.0:0.0} KB, inflating to 96 MB");

        MemoryUse before = MemoryUse.Of(() => { using var image = Image.Load<Rgb24>(bomb); });
        _output.WriteLine($"  ImageSharp alone: {before}");
        DecodedPhoto? photo = null;
        MemoryUse after = MemoryUse.Of(() => photo = PhotoDecoder.Default.Decode(bomb, "text.png"));
        _output.WriteLine($"  PhotoDecoder:     {after}");

        using (photo)
        {
            Assert.Equal((24, 16), (photo!.Width, photo.Height));
            for (int y = 0; y < 16; y++)
                for (int x = 0; x < 24; x++)
                    Assert.Equal(source[x, y], photo.Image[x, y]);
        }
        Assert.True(before.ManagedAllocatedBytes > 96L << 20, $"the bomb should cost ImageSharp alone its 96 MB of text ({before})");
        Assert.True(after.ManagedAllocatedBytes < 4L << 20, $"decoding allocated {after}");
    }

    [Fact]
    public void PngStripperKeepsEveryChunkTheDecoderNeedsAndDropsOnlyTheRest()
    {
        using Image<Rgb24> source = TestImages.Noise(8, 8);
        byte[] plain = TestImages.Encode(source, new SixLabors.ImageSharp.Formats.Png.PngEncoder());
        Assert.Equal(plain, PngChunkFilter.Strip(plain).ToArray()); // nothing to drop: the same bytes

        byte[] bomb = ImageBombs.PngWithTextBombs(source, chunks: 3, inflatedBytes: 1000);
        Assert.Equal(plain, PngChunkFilter.Strip(bomb).ToArray()); // the text chunks were the only difference
    }

    [Fact]
    public void OnlyTheFirstTiffPageIsDecoded()
    {
        // 16 pages of 1500×1500 grey: 36 MP of pages in a file of a few KB.
        (int, int)[] pages = Enumerable.Repeat((1500, 1500), 16).ToArray();
        byte[] bomb = ImageBombs.Tiff(pages);
        _output.WriteLine($"16-page TIFF: {bomb.Length / 1024.0:0.0} KB, 16 × 1500×1500");

        int framesBefore = 0;
        MemoryUse before = MemoryUse.Of(() => { using var image = Image.Load<Rgb24>(bomb); framesBefore = image.Frames.Count; });
        _output.WriteLine($"  ImageSharp alone: {before}, {framesBefore} frames");
        DecodedPhoto? photo = null;
        MemoryUse after = MemoryUse.Of(() => photo = PhotoDecoder.Default.Decode(bomb, "pages.tif"));
        _output.WriteLine($"  PhotoDecoder:     {after}");

        using (photo)
        {
            Assert.Equal((1500, 1500), (photo!.Width, photo.Height));
            Assert.Equal(new Rgb24(10, 10, 10), photo.Image[700, 700]); // page 1's grey level
        }
        Assert.Equal(16, framesBefore);
        List<TiffPage> walked = TiffDirectories.Pages(bomb)!;
        Assert.Equal(16, walked.Count);
        using Image<Rgb24> firstOnly = Image.Load<Rgb24>(TiffDirectories.FirstPageOnly(bomb, walked[0], big: false));
        Assert.Equal(1, firstOnly.Frames.Count);
    }

    [Fact]
    public void TiffWithASmallFirstPageAndAHugeSecondPageIsRefusedBeforeDecoding()
    {
        byte[] bomb = ImageBombs.Tiff([(1, 1), (20000, 20000)], realData: false);
        _output.WriteLine($"1×1 + 20000² TIFF: {bomb.Length} bytes");
        PhotoDecodeException? ex = null;
        MemoryUse after = MemoryUse.Of(() => ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(bomb, "hidden.tif")));
        _output.WriteLine($"  PhotoDecoder:     {after}");
        Assert.Equal("hidden.tif: page 2 of 2: 20000×20000 (400 megapixels) exceeds the 40-megapixel limit", ex!.Message);
        Assert.True(after.ManagedAllocatedBytes < 1L << 20, $"refusing allocated {after}");
    }

    [Fact]
    public void TiffPageChainThatLoopsIsNotWalkedForever()
    {
        byte[] tiff = ImageBombs.Tiff([(4, 4), (4, 4)]);
        List<TiffPage> pages = TiffDirectories.Pages(tiff)!;
        // Point page 2's "next IFD" back at page 1.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan((int)pages[1].NextPointerAt),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(tiff.AsSpan(4)));
        Assert.Null(TiffDirectories.Pages(tiff));
    }

    public static TheoryData<string> TruncatableFormats => ["tga", "tga-rle", "ppm", "pgm", "pbm", "ppm-plain", "pgm-plain"];

    [Theory]
    [MemberData(nameof(TruncatableFormats))]
    public void TruncatedTgaAndNetpbmFilesAreRefusedAndWholeOnesDecode(string kind)
    {
        using Image<Rgb24> source = TestImages.Noise(40, 30);
        byte[] whole = TestImages.Encode(source, kind switch
        {
            "tga" => new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24, Compression = TgaCompression.None },
            "tga-rle" => new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24, Compression = TgaCompression.RunLength },
            "ppm" => new PbmEncoder { ColorType = PbmColorType.Rgb, Encoding = PbmEncoding.Binary },
            "pgm" => new PbmEncoder { ColorType = PbmColorType.Grayscale, Encoding = PbmEncoding.Binary },
            "pbm" => new PbmEncoder { ColorType = PbmColorType.BlackAndWhite, Encoding = PbmEncoding.Binary },
            "ppm-plain" => new PbmEncoder { ColorType = PbmColorType.Rgb, Encoding = PbmEncoding.Plain },
            _ => new PbmEncoder { ColorType = PbmColorType.Grayscale, Encoding = PbmEncoding.Plain },
        });
        string extension = kind.Split('-')[0];

        using (DecodedPhoto photo = PhotoDecoder.Default.Decode(whole, $"whole.{extension}"))
            Assert.Equal((40, 30), (photo.Width, photo.Height));

        foreach (double keep in new[] { 0.5, 0.9 })
        {
            byte[] cut = whole[..(int)(whole.Length * keep)];
            var ex = Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(cut, $"cut.{extension}"));
            Assert.Equal($"cut.{extension}: the file is truncated", ex.Message);
        }
    }

    [Fact]
    public void AnimatedWebpDecodesItsFirstFrameLikeAGif()
    {
        using Image<Rgb24> first = TestImages.Noise(20, 12, seed: 1);
        using Image<Rgb24> second = TestImages.Noise(20, 12, seed: 2);
        byte[] animated = ImageBombs.AnimatedWebp(first, second);

        using DecodedPhoto photo = PhotoDecoder.Default.Decode(animated, "anim.webp");
        Assert.Equal(("WebP", 20, 12), (photo.Format, photo.Width, photo.Height));
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 20; x++)
                Assert.Equal(first[x, y], photo.Image[x, y]); // lossless: exactly frame 1
    }

    [Fact]
    public void OnePixelLimitByDefaultForEveryFrontEnd()
    {
        Assert.Equal(40_000_000, ImageLimits.Default.MaxPixels);
        Assert.Equal(40_000_000, ImageLimits.DefaultMaxPixels);
        // 1 GiB over (40 MP × 8 bytes) = 3.35: three decodes at once.
        Assert.Equal(3, ImageLimits.Default.ConcurrentDecodes);
        Assert.Equal(1, new ImageLimits { DecodeMemoryBytes = 1 }.ConcurrentDecodes);
        Assert.Equal(10, new ImageLimits { MaxPixels = 1_000_000, DecodeMemoryBytes = 80_000_000 }.ConcurrentDecodes);
    }

    [Fact]
    public async Task NoMoreDecodesRunAtOnceThanTheMemoryBudgetAllows()
    {
        // A budget for two 1-megapixel decodes at a time.
        var decoder = new PhotoDecoder(new ImageLimits { MaxPixels = 1_000_000, DecodeMemoryBytes = 2 * 1_000_000 * ImageLimits.DecodeBytesPerPixel });
        Assert.Equal(2, decoder.Limits.ConcurrentDecodes);
        using Image<Rgb24> source = TestImages.Noise(32, 32);
        byte[] png = TestImages.Encode(source, new SixLabors.ImageSharp.Formats.Png.PngEncoder());

        int wanting = 0, inside = 0, mostInside = 0;
        using var release = new ManualResetEventSlim(false);
        decoder.DecodeSlotWanted = () => Interlocked.Increment(ref wanting);
        decoder.DecodeSlotTaken = () =>
        {
            int now = Interlocked.Increment(ref inside);
            InterlockedMax(ref mostInside, now);
            release.Wait();
            Interlocked.Decrement(ref inside);
        };

        const int photos = 6;
        Task<(int, int)>[] decodes = Enumerable.Range(0, photos).Select(i => Task.Factory.StartNew(() =>
        {
            using DecodedPhoto photo = decoder.Decode(png, $"p{i}.png");
            return (photo.Width, photo.Height);
        }, TaskCreationOptions.LongRunning)).ToArray();

        // Every decode has asked for a slot, two hold one, and none is free: the other four wait.
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref wanting) == photos && Volatile.Read(ref inside) == 2, TimeSpan.FromMinutes(1)),
            $"wanting {wanting}, inside {inside}");
        Assert.Equal(0, decoder.FreeDecodeSlots);
        Assert.Equal(2, Volatile.Read(ref inside));
        release.Set();
        Assert.All(await Task.WhenAll(decodes), size => Assert.Equal((32, 32), size));
        Assert.Equal(2, mostInside);
        Assert.Equal(2, decoder.FreeDecodeSlots);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
