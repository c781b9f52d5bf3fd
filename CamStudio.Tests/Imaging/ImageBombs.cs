using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Imaging;

/// <summary>Decompression bombs of a few KB, built byte by byte from the format specifications.</summary>
internal static class ImageBombs
{
    /// <summary>A small PNG with compressed text chunks (zTXt and iTXt) and an ICC profile that each inflate to <paramref name="inflatedBytes"/>.</summary>
    public static byte[] PngWithTextBombs(Image<Rgb24> image, int chunks, int inflatedBytes)
    {
        byte[] png = TestImages.Encode(image, new PngEncoder());
        byte[] zeros = Zlib(new byte[inflatedBytes]);
        using var output = new MemoryStream();
        output.Write(png, 0, 8 + 25); // signature and IHDR
        for (int i = 0; i < chunks; i++)
        {
            string type = (i % 3) switch { 0 => "zTXt", 1 => "iTXt", _ => "iCCP" };
            byte[] header = type switch
            {
                "zTXt" => [.. "Comment"u8, 0, 0],             // keyword, NUL, compression method
                "iTXt" => [.. "Comment"u8, 0, 1, 0, 0, 0],    // keyword, NUL, compressed, method, empty language, empty translation
                _ => [.. "profile"u8, 0, 0],                  // iCCP: name, NUL, method
            };
            WritePngChunk(output, type, [.. header, .. zeros]);
        }
        output.Write(png, 8 + 25, png.Length - 8 - 25);
        return output.ToArray();
    }

    /// <summary>
    /// A little-endian TIFF of 8-bit grey pages, one Deflate strip each (TIFF 6.0 sections 2 and 13; Adobe's Deflate
    /// note): page i has size <paramref name="sizes"/>[i] and grey level 10·(i+1), so a decoded page says which it was.
    /// With <paramref name="realData"/> false only the first page has a strip that fits its size (the rest are never
    /// decoded when all is well).
    /// </summary>
    public static byte[] Tiff(IReadOnlyList<(int Width, int Height)> sizes, bool realData = true)
    {
        using var output = new MemoryStream();
        output.Write("II*\0\0\0\0\0"u8);
        var strips = new List<(long Offset, int Length)>();
        for (int i = 0; i < sizes.Count; i++)
        {
            if (i > 0 && !realData)
            {
                strips.Add(strips[0]);
                continue;
            }
            byte[] pixels = new byte[(long)sizes[i].Width * sizes[i].Height];
            Array.Fill(pixels, (byte)(10 * (i + 1)));
            byte[] strip = Zlib(pixels);
            strips.Add((output.Position, strip.Length));
            output.Write(strip);
            if ((output.Position & 1) != 0)
                output.WriteByte(0); // IFDs start on a word boundary
        }
        BinaryPrimitives.WriteUInt32LittleEndian(output.GetBuffer().AsSpan(4), (uint)output.Position);
        for (int i = 0; i < sizes.Count; i++)
        {
            (int width, int height) = sizes[i];
            (ushort Tag, ushort Type, uint Value)[] entries =
            [
                (256, 4, (uint)width), (257, 4, (uint)height), (258, 3, 8), (259, 3, 8), (262, 3, 1),
                (273, 4, (uint)strips[i].Offset), (277, 3, 1), (278, 4, (uint)height), (279, 4, (uint)strips[i].Length),
            ];
            Span<byte> ifd = new byte[2 + entries.Length * 12 + 4];
            BinaryPrimitives.WriteUInt16LittleEndian(ifd, (ushort)entries.Length);
            for (int e = 0; e < entries.Length; e++)
            {
                Span<byte> entry = ifd.Slice(2 + e * 12, 12);
                BinaryPrimitives.WriteUInt16LittleEndian(entry, entries[e].Tag);
                BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], entries[e].Type);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], 1);
                if (entries[e].Type == 3)
                    BinaryPrimitives.WriteUInt16LittleEndian(entry[8..], (ushort)entries[e].Value);
                else
                    BinaryPrimitives.WriteUInt32LittleEndian(entry[8..], entries[e].Value);
            }
            long next = i == sizes.Count - 1 ? 0 : output.Position + ifd.Length;
            BinaryPrimitives.WriteUInt32LittleEndian(ifd[^4..], (uint)next);
            output.Write(ifd);
        }
        return output.ToArray();
    }

    /// <summary>
    /// An animated WebP (container spec, "Animation"): VP8X with the animation flag, ANIM, and one ANMF chunk per frame
    /// holding that frame's lossless VP8L chunk as ImageSharp encodes it.
    /// </summary>
    public static byte[] AnimatedWebp(params Image<Rgb24>[] frames)
    {
        using var output = new MemoryStream();
        output.Write("RIFF\0\0\0\0WEBP"u8);
        int width = frames.Max(f => f.Width), height = frames.Max(f => f.Height);
        byte[] vp8x = new byte[10];
        vp8x[0] = 0x02; // animation
        Write24(vp8x.AsSpan(4), width - 1);
        Write24(vp8x.AsSpan(7), height - 1);
        WriteWebpChunk(output, "VP8X", vp8x);
        WriteWebpChunk(output, "ANIM", [255, 255, 255, 255, 0, 0]); // background colour, loop forever
        foreach (Image<Rgb24> frame in frames)
        {
            byte[] still = TestImages.Encode(frame, new WebpEncoder { FileFormat = WebpFileFormatType.Lossless });
            byte[] vp8l = still[12..]; // the still's only chunk, header included
            byte[] anmf = new byte[16 + vp8l.Length];
            Write24(anmf.AsSpan(6), frame.Width - 1);
            Write24(anmf.AsSpan(9), frame.Height - 1);
            Write24(anmf.AsSpan(12), 100); // duration, ms
            vp8l.CopyTo(anmf, 16);
            WriteWebpChunk(output, "ANMF", anmf);
        }
        byte[] bytes = output.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    private static void WriteWebpChunk(Stream output, string type, byte[] payload)
    {
        output.Write(Encoding.ASCII.GetBytes(type));
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(size, (uint)payload.Length);
        output.Write(size);
        output.Write(payload);
        if ((payload.Length & 1) != 0)
            output.WriteByte(0);
    }

    private static void Write24(Span<byte> data, int value)
    {
        data[0] = (byte)value;
        data[1] = (byte)(value >> 8);
        data[2] = (byte)(value >> 16);
    }

    public static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            zlib.Write(data);
        return output.ToArray();
    }

    /// <summary>One PNG chunk: length, type, data, CRC-32 (PNG spec section 5.3).</summary>
    public static void WritePngChunk(Stream output, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)data.Length);
        output.Write(word);
        byte[] typed = [.. Encoding.ASCII.GetBytes(type), .. data];
        output.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        output.Write(word);
    }

    /// <summary>The CRC-32 PNG chunks carry (ISO 3309, PNG spec annex D), bit by bit.</summary>
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
