using System.Buffers.Binary;

namespace CamStudio.Engine.Imaging;

/// <summary>One image (page) of a TIFF as its IFD declares it, and where its "next IFD" pointer sits.</summary>
internal readonly record struct TiffPage(long Width, long Height, long NextPointerAt);

/// <summary>
/// Walks every IFD (page) of a TIFF, classic or BigTIFF, without decoding anything (TIFF 6.0 section 2; BigTIFF). ImageSharp
/// 2.1.13 decodes every page and checks none but the first against our limits: a 1×1 first page hid a 20000² second
/// one (400 megapixels decoded), and 16 pages of a 562 KB file cost +2.25 GB. So each page's size is checked here,
/// and only the first page is handed to the decoder, by ending the IFD chain after it.
/// </summary>
internal static class TiffDirectories
{
    /// <summary>More pages than any photo has; a chain longer than this is refused rather than walked.</summary>
    public const int MaxPages = 4096;

    /// <summary>Every page in order; null when the header or chain is malformed (left to the structure check and decoder).</summary>
    public static List<TiffPage>? Pages(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8 || !(data[0] == data[1] && data[0] is (byte)'I' or (byte)'M'))
            return null;
        bool little = data[0] == (byte)'I';
        int version = Read16(data, 2, little);
        bool big = version == 43;
        if (!big && version != 42)
            return null;
        if (big && (data.Length < 16 || Read16(data, 4, little) != 8))
            return null;
        long ifd = big ? Read64(data, 8, little) : Read32(data, 4, little);
        var pages = new List<TiffPage>();
        var seen = new HashSet<long>();
        while (ifd != 0)
        {
            if (!seen.Add(ifd) || pages.Count >= MaxPages)
                return null; // a loop, or an absurd chain
            int countSize = big ? 8 : 2, entrySize = big ? 20 : 12, pointerSize = big ? 8 : 4;
            if (ifd < 0 || ifd + countSize > data.Length)
                return pages.Count == 0 ? null : pages;
            long entries = big ? Read64(data, (int)ifd, little) : Read16(data, (int)ifd, little);
            long next = ifd + countSize + entries * entrySize;
            if (entries is < 0 or > 65535 || next + pointerSize > data.Length)
                return pages.Count == 0 ? null : pages;
            long width = 0, height = 0;
            for (int i = 0; i < entries; i++)
            {
                int entry = (int)(ifd + countSize + (long)i * entrySize);
                int tag = Read16(data, entry, little);
                if (tag is 256 or 257)
                {
                    long value = InlineValue(data, entry, little, big);
                    if (tag == 256)
                        width = value;
                    else
                        height = value;
                }
            }
            pages.Add(new TiffPage(width, height, next));
            ifd = big ? Read64(data, (int)next, little) : Read32(data, (int)next, little);
        }
        return pages;
    }

    /// <summary>A copy of the file whose IFD chain ends after the first page, so the decoder sees one image.</summary>
    public static byte[] FirstPageOnly(ReadOnlySpan<byte> data, TiffPage first, bool big)
    {
        byte[] copy = data.ToArray();
        copy.AsSpan((int)first.NextPointerAt, big ? 8 : 4).Clear();
        return copy;
    }

    public static bool IsBigTiff(ReadOnlySpan<byte> data) => data.Length >= 4 && Read16(data, 2, data[0] == (byte)'I') == 43;

    /// <summary>ImageWidth/ImageLength: one SHORT or LONG (LONG8 in BigTIFF), stored inline.</summary>
    private static long InlineValue(ReadOnlySpan<byte> data, int entry, bool little, bool big)
    {
        int type = Read16(data, entry + 2, little);
        int valueAt = entry + (big ? 12 : 8);
        return type switch
        {
            3 => Read16(data, valueAt, little),
            4 => Read32(data, valueAt, little),
            16 when big => Read64(data, valueAt, little),
            _ => 0,
        };
    }

    private static int Read16(ReadOnlySpan<byte> data, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt16BigEndian(data[at..]);

    private static long Read32(ReadOnlySpan<byte> data, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt32BigEndian(data[at..]);

    private static long Read64(ReadOnlySpan<byte> data, int at, bool little)
    {
        ulong value = little ? BinaryPrimitives.ReadUInt64LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt64BigEndian(data[at..]);
        return value > long.MaxValue ? -1 : (long)value;
    }
}
