using System.Buffers.Binary;

namespace CamStudio.Engine.Imaging;

/// <summary>The outcome of walking an encoded file's container structure.</summary>
internal enum StructureCheck
{
    Complete,
    Truncated,
    Corrupt,
}

/// <summary>
/// Walks the container structure of an encoded file without decoding pixels. ImageSharp decodes the readable part
/// of a truncated JPEG, BMP, GIF or WebP without complaint (and reports a cut TIFF only as damaged), so completeness is checked here: a JPEG must reach its
/// EOI marker, a PNG its IEND chunk, a BMP must hold all its pixel rows, a GIF its whole first image, a WebP its
/// whole RIFF payload, a TIFF every strip of its first image. Bytes after those (e.g. a motion-photo video appended to a JPEG) are allowed.
/// </summary>
internal static partial class EncodedImageStructure
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

    /// <summary>BMP: the pixel array (offset from the file header, size from the info header) must be present.</summary>
    public static StructureCheck CheckBmp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26 || data[0] != (byte)'B' || data[1] != (byte)'M')
            return data.Length < 26 ? StructureCheck.Truncated : StructureCheck.Corrupt;
        uint fileSize = BinaryPrimitives.ReadUInt32LittleEndian(data[2..]);
        uint pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(data[10..]);
        uint infoSize = BinaryPrimitives.ReadUInt32LittleEndian(data[14..]);
        long required;
        if (infoSize == 12)
        {
            // OS/2 BITMAPCOREHEADER: 16-bit width/height, always uncompressed.
            int width = BinaryPrimitives.ReadUInt16LittleEndian(data[18..]);
            int height = BinaryPrimitives.ReadUInt16LittleEndian(data[20..]);
            int bits = BinaryPrimitives.ReadUInt16LittleEndian(data[24..]);
            required = pixelOffset + RowStride(width, bits) * height;
        }
        else if (infoSize >= 40 && data.Length >= 14 + 40)
        {
            int width = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            int height = BinaryPrimitives.ReadInt32LittleEndian(data[22..]);
            int bits = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]);
            uint compression = BinaryPrimitives.ReadUInt32LittleEndian(data[30..]);
            uint imageSize = BinaryPrimitives.ReadUInt32LittleEndian(data[34..]);
            bool uncompressed = compression is 0 or 3 or 6; // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS
            required = uncompressed
                ? pixelOffset + RowStride(Math.Abs((long)width), bits) * Math.Abs((long)height)
                : pixelOffset + (imageSize > 0 ? imageSize : Math.Max(0, fileSize - pixelOffset));
        }
        else
        {
            return data.Length < 14 + infoSize ? StructureCheck.Truncated : StructureCheck.Complete;
        }
        return data.Length < required ? StructureCheck.Truncated : StructureCheck.Complete;
    }

    private static long RowStride(long width, int bitsPerPixel) => (width * bitsPerPixel + 31) / 32 * 4;

    /// <summary>GIF: header, logical screen, then extension and image blocks until the first image's data ends (GIF89a spec).</summary>
    public static StructureCheck CheckGif(ReadOnlySpan<byte> data)
    {
        if (data.Length < 13)
            return StructureCheck.Truncated;
        int pos = 13;
        byte flags = data[10];
        if ((flags & 0x80) != 0)
            pos += 3 << ((flags & 0x07) + 1); // global colour table
        while (true)
        {
            if (pos >= data.Length)
                return StructureCheck.Truncated;
            byte introducer = data[pos++];
            switch (introducer)
            {
                case 0x21: // extension: label, then data sub-blocks
                    pos++;
                    if (!SkipSubBlocks(data, ref pos))
                        return StructureCheck.Truncated;
                    break;
                case 0x2C: // image descriptor, optional local colour table, LZW code size, data sub-blocks
                    if (pos + 9 > data.Length)
                        return StructureCheck.Truncated;
                    byte imageFlags = data[pos + 8];
                    pos += 9;
                    if ((imageFlags & 0x80) != 0)
                        pos += 3 << ((imageFlags & 0x07) + 1);
                    pos++; // LZW minimum code size
                    return SkipSubBlocks(data, ref pos) ? StructureCheck.Complete : StructureCheck.Truncated;
                case 0x3B: // trailer before any image
                    return StructureCheck.Corrupt;
                default:
                    return StructureCheck.Corrupt;
            }
        }
    }

    private static bool SkipSubBlocks(ReadOnlySpan<byte> data, ref int pos)
    {
        while (true)
        {
            if (pos >= data.Length)
                return false;
            int size = data[pos++];
            if (size == 0)
                return true;
            pos += size;
        }
    }

    /// <summary>WebP: the RIFF container's declared payload must all be present.</summary>
    public static StructureCheck CheckWebp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 12)
            return StructureCheck.Truncated;
        if (!data[..4].SequenceEqual("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WEBP"u8))
            return StructureCheck.Corrupt;
        long riffEnd = 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        return data.Length < riffEnd ? StructureCheck.Truncated : StructureCheck.Complete;
    }

    /// <summary>
    /// TIFF (6.0, classic not BigTIFF): the first IFD and every strip or tile of the first image, as located by
    /// StripOffsets/StripByteCounts (or TileOffsets/TileByteCounts), must lie inside the file.
    /// </summary>
    public static StructureCheck CheckTiff(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
            return StructureCheck.Truncated;
        bool little = data[0] == (byte)'I';
        if (ReadUInt16(data, 2, little) != 42)
            return StructureCheck.Complete; // BigTIFF or unknown: leave it to the decoder
        long ifd = ReadUInt32(data, 4, little);
        if (ifd + 2 > data.Length)
            return StructureCheck.Truncated;
        int entries = ReadUInt16(data, (int)ifd, little);
        if (ifd + 2 + 12L * entries > data.Length)
            return StructureCheck.Truncated;
        long[]? offsets = null, counts = null;
        for (int i = 0; i < entries; i++)
        {
            int entry = (int)ifd + 2 + 12 * i;
            int tag = ReadUInt16(data, entry, little);
            if (tag is 273 or 324)
                offsets = ReadValues(data, entry, little);
            else if (tag is 279 or 325)
                counts = ReadValues(data, entry, little);
            if (offsets is [] || counts is [])
                return StructureCheck.Truncated; // the value array itself is cut off
        }
        if (offsets is null || counts is null || offsets.Length != counts.Length)
            return StructureCheck.Complete; // unusual layout: leave it to the decoder
        for (int i = 0; i < offsets.Length; i++)
            if (offsets[i] + counts[i] > data.Length)
                return StructureCheck.Truncated;
        return StructureCheck.Complete;
    }

    /// <summary>An IFD entry's SHORT or LONG values (inline when they fit in 4 bytes); empty when they lie past the end.</summary>
    private static long[]? ReadValues(ReadOnlySpan<byte> data, int entry, bool little)
    {
        int type = ReadUInt16(data, entry + 2, little);
        long count = ReadUInt32(data, entry + 4, little);
        int size = type switch { 3 => 2, 4 => 4, _ => 0 };
        if (size == 0 || count > 1 << 24)
            return null;
        long start = count * size <= 4 ? entry + 8 : ReadUInt32(data, entry + 8, little);
        if (start + count * size > data.Length)
            return [];
        var values = new long[count];
        for (int i = 0; i < count; i++)
            values[i] = size == 2 ? ReadUInt16(data, (int)start + 2 * i, little) : ReadUInt32(data, (int)start + 4 * i, little);
        return values;
    }

    private static int ReadUInt16(ReadOnlySpan<byte> data, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt16BigEndian(data[at..]);

    private static long ReadUInt32(ReadOnlySpan<byte> data, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(data[at..]) : BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
}
