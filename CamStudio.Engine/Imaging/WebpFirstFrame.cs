using System.Buffers.Binary;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// The first frame of an animated WebP as a still WebP, so it is decoded like a GIF's first frame (ImageSharp 2.1.13
/// rejects animated WebP as damaged). The frame keeps its own size; its offset on the animation canvas is dropped.
/// Layout: RIFF "WEBP", a VP8X chunk with the animation flag, ANIM, then ANMF chunks, each a 16-byte frame header
/// followed by the frame's own ALPH / VP8 / VP8L chunks (WebP container specification, "Animation").
/// </summary>
internal static class WebpFirstFrame
{
    private const byte AnimationFlag = 0x02;
    private const byte AlphaFlag = 0x10;
    private const int FrameHeaderLength = 16;

    /// <summary>The still first frame, or null when the file is not a walkable animated WebP (it is then decoded as it is).</summary>
    public static byte[]? Extract(ReadOnlyMemory<byte> webp)
    {
        ReadOnlySpan<byte> data = webp.Span;
        if (data.Length < 30 || !data[12..16].SequenceEqual("VP8X"u8) || (data[20] & AnimationFlag) == 0)
            return null;
        int end = (int)Math.Min(data.Length, 8L + BinaryPrimitives.ReadUInt32LittleEndian(data[4..]));
        for (int pos = 12; pos + 8 <= end;)
        {
            long size = BinaryPrimitives.ReadUInt32LittleEndian(data[(pos + 4)..]);
            if (pos + 8 + size > end)
                return null;
            if (data.Slice(pos, 4).SequenceEqual("ANMF"u8) && size >= FrameHeaderLength)
                return Still(data.Slice(pos + 8, (int)size));
            pos += 8 + (int)(size + (size & 1)); // chunks are padded to an even size
        }
        return null;
    }

    private static byte[]? Still(ReadOnlySpan<byte> frame)
    {
        int width = Read24(frame[6..]) + 1, height = Read24(frame[9..]) + 1;
        ReadOnlySpan<byte> alpha = default, image = default;
        for (int pos = FrameHeaderLength; pos + 8 <= frame.Length;)
        {
            long size = BinaryPrimitives.ReadUInt32LittleEndian(frame[(pos + 4)..]);
            if (pos + 8 + size > frame.Length)
                return null;
            ReadOnlySpan<byte> chunk = frame.Slice(pos, 8 + (int)size);
            ReadOnlySpan<byte> type = frame.Slice(pos, 4);
            if (type.SequenceEqual("ALPH"u8))
                alpha = chunk;
            else if (type.SequenceEqual("VP8 "u8) || type.SequenceEqual("VP8L"u8))
            {
                image = chunk;
                break;
            }
            pos += 8 + (int)(size + (size & 1));
        }
        if (image.IsEmpty)
            return null;

        using var still = new MemoryStream();
        Span<byte> header = stackalloc byte[18];
        still.Write("RIFF\0\0\0\0WEBP"u8);
        if (!alpha.IsEmpty && image.StartsWith("VP8 "u8))
        {
            // A lossy frame with a separate alpha chunk needs an extended (VP8X) header.
            "VP8X"u8.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], 10);
            header[8..].Clear();
            header[8] = AlphaFlag;
            Write24(header[12..], width - 1);
            Write24(header[15..], height - 1);
            still.Write(header);
            WritePadded(still, alpha);
        }
        WritePadded(still, image);
        byte[] bytes = still.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    private static void WritePadded(MemoryStream stream, ReadOnlySpan<byte> chunk)
    {
        stream.Write(chunk);
        if ((chunk.Length & 1) != 0)
            stream.WriteByte(0);
    }

    private static int Read24(ReadOnlySpan<byte> data) => data[0] | (data[1] << 8) | (data[2] << 16);

    private static void Write24(Span<byte> data, int value)
    {
        data[0] = (byte)value;
        data[1] = (byte)(value >> 8);
        data[2] = (byte)(value >> 16);
    }
}
