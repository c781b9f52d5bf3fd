using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Imaging;

public sealed class BitmapFontTests
{
    [Fact]
    public void EveryPrintableAsciiCharacterHasASevenRowFiveColumnGlyph()
    {
        for (char c = ' '; c <= '~'; c++)
        {
            ReadOnlySpan<byte> glyph = BitmapFont.Glyph(c);
            Assert.Equal(7, glyph.Length);
            foreach (byte row in glyph)
                Assert.True(row < 32, $"'{c}' has a row wider than 5 pixels");
            bool blank = true;
            foreach (byte row in glyph)
                blank &= row == 0;
            Assert.Equal(c == ' ', blank);
        }
        Assert.Equal(BitmapFont.Glyph('?').ToArray(), BitmapFont.Glyph('\u4e2d').ToArray());
        Assert.Equal(BitmapFont.Glyph('x').ToArray(), BitmapFont.Glyph('×').ToArray());
    }

    [Fact]
    public void GlyphsAreDistinct()
    {
        var seen = new HashSet<string>();
        for (char c = '!'; c <= '~'; c++)
            Assert.True(seen.Add(Convert.ToHexString(BitmapFont.Glyph(c))), $"'{c}' duplicates another glyph");
    }

    [Fact]
    public void DrawingAtTwiceTheScalePaintsTwoByTwoBlocks()
    {
        using var image = new Image<Rgb24>(20, 20, new Rgb24(255, 255, 255));
        var ink = new Rgb24(0, 0, 0);

        BitmapFont.Draw(image, "T", 1, 1, ink, scale: 2);

        // 'T' = top row 11111, then a centre column. At 2×: rows 1–2 columns 1–10 are ink; column 5–6 below.
        for (int x = 1; x <= 10; x++)
        {
            Assert.Equal(ink, image[x, 1]);
            Assert.Equal(ink, image[x, 2]);
        }
        Assert.Equal(ink, image[5, 8]);
        Assert.Equal(ink, image[6, 14]);
        Assert.NotEqual(ink, image[2, 8]);
        Assert.NotEqual(ink, image[11, 1]);
        Assert.Equal(17, BitmapFont.MeasureWidth("abc", 1)); // 3 glyphs of 5 + 2 gaps
        Assert.Equal(34, BitmapFont.MeasureWidth("abc", 2));
    }

    [Fact]
    public void DrawingIsClippedToTheImage()
    {
        using var image = new Image<Rgb24>(8, 8);
        BitmapFont.Draw(image, "Wide text that does not fit", -5, 4, new Rgb24(255, 0, 0), scale: 3);
    }
}
