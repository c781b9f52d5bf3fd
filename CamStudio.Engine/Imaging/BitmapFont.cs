using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// A 5×7 pixel font for printable ASCII (32–126), drawn as data so labels need no font package. Each glyph is
/// seven rows, top to bottom, of five bits (most significant bit = leftmost pixel), in the style of the classic
/// HD44780 LCD character set. Characters outside ASCII are mapped to a look-alike (× → x, − → -) or '?'.
/// </summary>
public static class BitmapFont
{
    public const int GlyphWidth = 5;
    public const int GlyphHeight = 7;

    /// <summary>Horizontal advance per character at scale 1 (glyph plus one column of spacing).</summary>
    public const int Advance = GlyphWidth + 1;

    private const string Glyphs =
        "00 00 00 00 00 00 00|04 04 04 04 00 00 04|0A 0A 0A 00 00 00 00|0A 0A 1F 0A 1F 0A 0A|" + // space ! " #
        "04 0F 14 0E 05 1E 04|18 19 02 04 08 13 03|0C 12 14 08 15 12 0D|0C 04 08 00 00 00 00|" + // $ % & '
        "02 04 08 08 08 04 02|08 04 02 02 02 04 08|00 04 15 0E 15 04 00|00 04 04 1F 04 04 00|" + // ( ) * +
        "00 00 00 00 0C 04 08|00 00 00 1F 00 00 00|00 00 00 00 00 0C 0C|00 01 02 04 08 10 00|" + // , - . /
        "0E 11 13 15 19 11 0E|04 0C 04 04 04 04 0E|0E 11 01 02 04 08 1F|1F 02 04 02 01 11 0E|" + // 0 1 2 3
        "02 06 0A 12 1F 02 02|1F 10 1E 01 01 11 0E|06 08 10 1E 11 11 0E|1F 01 02 04 08 08 08|" + // 4 5 6 7
        "0E 11 11 0E 11 11 0E|0E 11 11 0F 01 02 0C|00 0C 0C 00 0C 0C 00|00 0C 0C 00 0C 04 08|" + // 8 9 : ;
        "02 04 08 10 08 04 02|00 00 1F 00 1F 00 00|08 04 02 01 02 04 08|0E 11 01 02 04 00 04|" + // < = > ?
        "0E 11 01 0D 15 15 0E|0E 11 11 11 1F 11 11|1E 11 11 1E 11 11 1E|0E 11 10 10 10 11 0E|" + // @ A B C
        "1C 12 11 11 11 12 1C|1F 10 10 1E 10 10 1F|1F 10 10 1E 10 10 10|0E 11 10 17 11 11 0F|" + // D E F G
        "11 11 11 1F 11 11 11|0E 04 04 04 04 04 0E|07 02 02 02 02 12 0C|11 12 14 18 14 12 11|" + // H I J K
        "10 10 10 10 10 10 1F|11 1B 15 15 11 11 11|11 11 19 15 13 11 11|0E 11 11 11 11 11 0E|" + // L M N O
        "1E 11 11 1E 10 10 10|0E 11 11 11 15 12 0D|1E 11 11 1E 14 12 11|0F 10 10 0E 01 01 1E|" + // P Q R S
        "1F 04 04 04 04 04 04|11 11 11 11 11 11 0E|11 11 11 11 11 0A 04|11 11 11 15 15 15 0A|" + // T U V W
        "11 11 0A 04 0A 11 11|11 11 11 0A 04 04 04|1F 01 02 04 08 10 1F|0E 08 08 08 08 08 0E|" + // X Y Z [
        "00 10 08 04 02 01 00|0E 02 02 02 02 02 0E|04 0A 11 00 00 00 00|00 00 00 00 00 00 1F|" + // \ ] ^ _
        "08 04 02 00 00 00 00|00 00 0E 01 0F 11 0F|10 10 16 19 11 11 1E|00 00 0E 10 10 11 0E|" + // ` a b c
        "01 01 0D 13 11 11 0F|00 00 0E 11 1F 10 0E|06 09 08 1C 08 08 08|00 0F 11 11 0F 01 0E|" + // d e f g
        "10 10 16 19 11 11 11|04 00 0C 04 04 04 0E|02 00 06 02 02 12 0C|10 10 12 14 18 14 12|" + // h i j k
        "0C 04 04 04 04 04 0E|00 00 1A 15 15 11 11|00 00 16 19 11 11 11|00 00 0E 11 11 11 0E|" + // l m n o
        "00 00 1E 11 1E 10 10|00 00 0D 13 0F 01 01|00 00 16 19 10 10 10|00 00 0E 10 0E 01 1E|" + // p q r s
        "08 08 1C 08 08 09 06|00 00 11 11 11 13 0D|00 00 11 11 11 0A 04|00 00 11 11 15 15 0A|" + // t u v w
        "00 00 11 0A 04 0A 11|00 00 11 11 0F 01 0E|00 00 1F 02 04 08 1F|02 04 04 08 04 04 02|" + // x y z {
        "04 04 04 04 04 04 04|08 04 04 02 04 04 08|00 00 08 15 02 00 00";                         // | } ~

    private static readonly byte[][] Rows = Glyphs.Split('|')
        .Select(g => g.Split(' ').Select(h => Convert.ToByte(h, 16)).ToArray())
        .ToArray();

    /// <summary>Height of one line of text including a 2-pixel gap, at <paramref name="scale"/>.</summary>
    public static int LineHeight(int scale = 1) => (GlyphHeight + 2) * scale;

    /// <summary>Width in pixels of <paramref name="text"/> at <paramref name="scale"/> (no trailing spacing).</summary>
    public static int MeasureWidth(string text, int scale = 1) =>
        text.Length == 0 ? 0 : (text.Length * Advance - 1) * scale;

    /// <summary>The 7 row bit patterns of <paramref name="c"/> (unknown characters draw as '?').</summary>
    public static ReadOnlySpan<byte> Glyph(char c)
    {
        c = c switch
        {
            '×' => 'x',
            '−' or '–' or '—' => '-',
            '’' or '‘' => '\'',
            '“' or '”' => '"',
            _ => c,
        };
        return c is >= ' ' and <= '~' ? Rows[c - ' '] : Rows['?' - ' '];
    }

    /// <summary>Draws <paramref name="text"/> with its top-left at (x, y), each font pixel a scale×scale block; clipped to the image.</summary>
    public static void Draw(Image<Rgb24> image, string text, int x, int y, Rgb24 ink, int scale = 1) =>
        Draw(image, text, x, y, ink, scale, new Rectangle(0, 0, image.Width, image.Height));

    /// <summary>Draws <paramref name="text"/> centred in <paramref name="box"/> and clipped to it.</summary>
    public static void DrawCentered(Image<Rgb24> image, string text, Rectangle box, Rgb24 ink, int scale = 1)
    {
        int x = box.X + (box.Width - MeasureWidth(text, scale)) / 2;
        int y = box.Y + (box.Height - GlyphHeight * scale) / 2;
        Draw(image, text, Math.Max(box.X, x), y, ink, scale, box);
    }

    private static void Draw(Image<Rgb24> image, string text, int x, int y, Rgb24 ink, int scale, Rectangle clip)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(text);
        if (scale < 1)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "Font scale must be at least 1.");
        clip = Rectangle.Intersect(clip, new Rectangle(0, 0, image.Width, image.Height));
        for (int i = 0; i < text.Length; i++)
        {
            ReadOnlySpan<byte> glyph = Glyph(text[i]);
            int left = x + i * Advance * scale;
            if (left >= clip.Right)
                break;
            for (int row = 0; row < GlyphHeight; row++)
            {
                byte bits = glyph[row];
                if (bits == 0)
                    continue;
                for (int dy = 0; dy < scale; dy++)
                {
                    int py = y + row * scale + dy;
                    if (py < clip.Top || py >= clip.Bottom)
                        continue;
                    Span<Rgb24> pixels = image.DangerousGetPixelRowMemory(py).Span;
                    for (int col = 0; col < GlyphWidth; col++)
                    {
                        if ((bits & (0x10 >> col)) == 0)
                            continue;
                        for (int dx = 0; dx < scale; dx++)
                        {
                            int px = left + col * scale + dx;
                            if (px >= clip.Left && px < clip.Right)
                                pixels[px] = ink;
                        }
                    }
                }
            }
        }
    }
}
