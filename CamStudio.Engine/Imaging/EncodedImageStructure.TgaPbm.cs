using System.Buffers.Binary;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// TGA and Netpbm completeness: ImageSharp decodes a cut-off TGA or PPM/PGM/PBM as an image whose missing rows are
/// garbage, so the pixel data the header promises must all be present.
/// </summary>
internal static partial class EncodedImageStructure
{
    /// <summary>TGA (Truevision TGA 2.0): header, image ID, colour map, then raw or run-length pixel packets.</summary>
    public static StructureCheck CheckTga(ReadOnlySpan<byte> data)
    {
        if (data.Length < 18)
            return StructureCheck.Truncated;
        int idLength = data[0], colourMapType = data[1], imageType = data[2];
        int mapLength = BinaryPrimitives.ReadUInt16LittleEndian(data[5..]), mapEntryBits = data[7];
        long width = BinaryPrimitives.ReadUInt16LittleEndian(data[12..]), height = BinaryPrimitives.ReadUInt16LittleEndian(data[14..]);
        int bytesPerPixel = (data[16] + 7) / 8;
        if (bytesPerPixel == 0)
            return StructureCheck.Corrupt;
        long pos = 18 + idLength + (colourMapType == 1 ? (long)mapLength * ((mapEntryBits + 7) / 8) : 0);
        long pixels = width * height;
        switch (imageType)
        {
            case 1 or 2 or 3: // colour-mapped, true-colour, grey: raw
                return pos + pixels * bytesPerPixel <= data.Length ? StructureCheck.Complete : StructureCheck.Truncated;
            case 9 or 10 or 11: // the same, run-length encoded
                for (long done = 0; done < pixels;)
                {
                    if (pos >= data.Length)
                        return StructureCheck.Truncated;
                    byte packet = data[(int)pos++];
                    int count = (packet & 0x7F) + 1;
                    pos += (packet & 0x80) != 0 ? bytesPerPixel : (long)count * bytesPerPixel;
                    done += count;
                }
                return pos <= data.Length ? StructureCheck.Complete : StructureCheck.Truncated;
            default:
                return StructureCheck.Complete; // no image data, or a type the decoder will judge
        }
    }

    /// <summary>
    /// Netpbm (PBM P1/P4, PGM P2/P5, PPM P3/P6): a text header (width, height, maximum value) and then
    /// width × height samples, binary or as text numbers.
    /// </summary>
    public static StructureCheck CheckPbm(ReadOnlySpan<byte> data)
    {
        if (data.Length < 3 || data[0] != (byte)'P' || data[1] is < (byte)'1' or > (byte)'6')
            return StructureCheck.Corrupt;
        int kind = data[1] - '0';
        int pos = 2;
        long width = ReadHeaderNumber(data, ref pos), height = ReadHeaderNumber(data, ref pos);
        long maxValue = kind is 1 or 4 ? 1 : ReadHeaderNumber(data, ref pos);
        if (width < 0 || height < 0 || maxValue < 0)
            return StructureCheck.Truncated;
        long samples = width * height * (kind is 3 or 6 ? 3 : 1);
        if (kind >= 4)
        {
            pos++; // the single whitespace byte after the header
            long bytes = kind == 4 ? (width + 7) / 8 * height : samples * (maxValue > 255 ? 2 : 1);
            return pos + bytes <= data.Length ? StructureCheck.Complete : StructureCheck.Truncated;
        }
        long found = 0;
        while (found < samples)
        {
            SkipSpaceAndComments(data, ref pos);
            if (pos >= data.Length)
                return StructureCheck.Truncated;
            if (kind == 1)
            {
                pos++; // P1 samples are single digits, spaces optional
                found++;
                continue;
            }
            if (ReadHeaderNumber(data, ref pos) < 0)
                return StructureCheck.Truncated;
            found++;
        }
        return StructureCheck.Complete;
    }

    /// <summary>The next decimal number after whitespace and # comments; -1 when there is none.</summary>
    private static long ReadHeaderNumber(ReadOnlySpan<byte> data, ref int pos)
    {
        SkipSpaceAndComments(data, ref pos);
        long value = -1;
        while (pos < data.Length && data[pos] is >= (byte)'0' and <= (byte)'9')
        {
            value = Math.Min(int.MaxValue, Math.Max(0, value) * 10 + (data[pos] - '0'));
            pos++;
        }
        return value;
    }

    private static void SkipSpaceAndComments(ReadOnlySpan<byte> data, ref int pos)
    {
        while (pos < data.Length)
        {
            if (data[pos] == (byte)'#')
            {
                while (pos < data.Length && data[pos] != (byte)'\n' && data[pos] != (byte)'\r')
                    pos++;
            }
            else if (data[pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C)
                pos++;
            else
                return;
        }
    }
}
