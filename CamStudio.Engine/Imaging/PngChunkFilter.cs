using System.Buffers.Binary;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// Drops the PNG chunks a photo does not need before ImageSharp sees the file. ImageSharp 2.1.13 inflates every zTXt
/// and iTXt chunk while identifying, with no limit: a 522 KB PNG of text chunks cost +4.5 GB and 48 s. Text chunks,
/// ICC profiles (iCCP: compressed too, and never applied here), oversized eXIf and any ancillary chunk ImageSharp does
/// not use are skipped unread; critical chunks and the small ancillary ones are copied as they are (their CRCs too,
/// so nothing is recomputed, and skipped chunks need none).
/// </summary>
internal static class PngChunkFilter
{
    /// <summary>Largest eXIf chunk kept (the EXIF orientation lives there); JPEG caps EXIF at 64 KB too.</summary>
    public const int MaxExifBytes = 65_535;

    private const int SignatureLength = 8;

    // Small, fixed-layout ancillary chunks (PNG spec, 11.3) that ImageSharp reads.
    private static readonly HashSet<string> KeptAncillary = ["tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs", "tIME", "hIST"];

    /// <summary>
    /// The PNG without the skipped chunks; <paramref name="png"/> itself when nothing is skipped. A cut-off file is
    /// filtered as far as its chunks go and keeps its cut tail (the structure check reports it as truncated).
    /// </summary>
    public static ReadOnlyMemory<byte> Strip(ReadOnlyMemory<byte> png)
    {
        ReadOnlySpan<byte> data = png.Span;
        if (data.Length < SignatureLength + 8)
            return png;
        var kept = new List<(int Start, int Length)>();
        bool skipped = false;
        int pos = SignatureLength;
        while (pos + 8 <= data.Length)
        {
            uint declared = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            ReadOnlySpan<byte> type = data.Slice(pos + 4, 4);
            long total = 12L + declared;
            int present = (int)Math.Min(total, data.Length - pos);
            if (declared > int.MaxValue || Keep(type, declared))
                kept.Add((pos, present));
            else
                skipped = true;
            if (type.SequenceEqual("IEND"u8) || present < total)
                break;
            pos += present;
        }
        if (!skipped)
            return png;
        byte[] result = new byte[SignatureLength + kept.Sum(k => k.Length)];
        data[..SignatureLength].CopyTo(result);
        int at = SignatureLength;
        foreach ((int start, int length) in kept)
        {
            data.Slice(start, length).CopyTo(result.AsSpan(at));
            at += length;
        }
        return result;
    }

    private static bool Keep(ReadOnlySpan<byte> type, uint length)
    {
        bool critical = (type[0] & 0x20) == 0; // an upper-case first letter (PNG spec, 5.4)
        if (critical)
            return true;
        string name = System.Text.Encoding.ASCII.GetString(type);
        return KeptAncillary.Contains(name) || (name == "eXIf" && length <= MaxExifBytes);
    }
}
