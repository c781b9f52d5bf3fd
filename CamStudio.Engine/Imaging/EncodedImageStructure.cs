namespace CamStudio.Engine.Imaging;

/// <summary>The outcome of walking an encoded file's container structure.</summary>
internal enum StructureCheck
{
    Complete,
    Truncated,
    Corrupt,
}

/// <summary>
/// Walks the segment/chunk structure of JPEG and PNG files without decoding pixels. ImageSharp decodes the
/// readable part of a truncated JPEG (and some truncated PNGs) without complaint, so completeness is checked here:
/// a JPEG must reach its EOI marker and a PNG its IEND chunk. Bytes after those (e.g. a motion-photo video
/// appended to a JPEG) are allowed.
/// </summary>
internal static class EncodedImageStructure
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>JPEG: SOI, marker segments, entropy-coded scans, until EOI (ITU-T T.81, Annex B).</summary>
    public static StructureCheck CheckJpeg(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2 || data[0] != 0xFF || data[1] != 0xD8)
            return StructureCheck.Corrupt;
        int pos = 2;
        while (true)
        {
            // Find the next marker; tolerate stray bytes between segments as libjpeg does.
            int ff = data[pos..].IndexOf((byte)0xFF);
            if (ff < 0)
                return StructureCheck.Truncated;
            pos += ff;
            while (pos < data.Length && data[pos] == 0xFF)
                pos++; // fill bytes
            if (pos >= data.Length)
                return StructureCheck.Truncated;
            byte marker = data[pos++];
            if (marker == 0xD9)
                return StructureCheck.Complete;
            if (marker == 0x00 || marker == 0x01 || marker is >= 0xD0 and <= 0xD7)
                continue; // standalone markers (and a stray stuffed byte)
            if (pos + 2 > data.Length)
                return StructureCheck.Truncated;
            int segmentLength = (data[pos] << 8) | data[pos + 1];
            if (segmentLength < 2)
                return StructureCheck.Corrupt;
            pos += segmentLength;
            if (pos > data.Length)
                return StructureCheck.Truncated;
            if (marker == 0xDA && !SkipEntropyCodedData(data, ref pos))
                return StructureCheck.Truncated;
        }
    }

    /// <summary>Moves past a scan's entropy-coded data to the 0xFF of the next real marker (not a stuffed 0xFF00 or RSTn).</summary>
    private static bool SkipEntropyCodedData(ReadOnlySpan<byte> data, ref int pos)
    {
        while (true)
        {
            int ff = data[pos..].IndexOf((byte)0xFF);
            if (ff < 0)
                return false;
            pos += ff;
            int next = pos + 1;
            while (next < data.Length && data[next] == 0xFF)
                next++;
            if (next >= data.Length)
                return false;
            byte b = data[next];
            if (b == 0x00 || b is >= 0xD0 and <= 0xD7)
            {
                pos = next + 1;
                continue;
            }
            pos = next - 1; // the 0xFF right before the marker byte
            return true;
        }
    }

    /// <summary>PNG: signature, then length/type/data/CRC chunks until IEND (PNG spec, section 5).</summary>
    public static StructureCheck CheckPng(ReadOnlySpan<byte> data)
    {
        if (data.Length < PngSignature.Length || !data[..PngSignature.Length].SequenceEqual(PngSignature))
            return StructureCheck.Corrupt;
        long pos = PngSignature.Length;
        while (true)
        {
            if (pos + 8 > data.Length)
                return StructureCheck.Truncated;
            uint length = (uint)((data[(int)pos] << 24) | (data[(int)pos + 1] << 16) | (data[(int)pos + 2] << 8) | data[(int)pos + 3]);
            if (length > int.MaxValue)
                return StructureCheck.Corrupt;
            ReadOnlySpan<byte> type = data.Slice((int)pos + 4, 4);
            long end = pos + 12 + length;
            if (end > data.Length)
                return StructureCheck.Truncated;
            if (type.SequenceEqual("IEND"u8))
                return StructureCheck.Complete;
            pos = end;
        }
    }
}
