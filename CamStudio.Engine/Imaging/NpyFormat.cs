using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CamStudio.Engine.Maps;

namespace CamStudio.Engine.Imaging;

/// <summary>A float32 array read from a .npy file: C-order data and its shape.</summary>
public sealed record NpyArray(int[] Shape, float[] Data);

/// <summary>
/// NumPy .npy version 1.0 for float32 arrays: little-endian <c>'&lt;f4'</c>, C order.
/// Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
/// </summary>
public static partial class NpyFormat
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>The header dictionary for a float32 C-order array, e.g. <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (224, 224), }</c>.</summary>
    public static string HeaderDictionary(IReadOnlyList<int> shape)
    {
        string dims = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        return $"{{'descr': '<f4', 'fortran_order': False, 'shape': {dims}, }}";
    }

    /// <summary>Writes <paramref name="data"/> (C order) with <paramref name="shape"/>.</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> data, IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Shape ({string.Join(", ", shape)}) has a negative dimension.", nameof(shape));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) needs {count} values, got {data.Length}.", nameof(shape));

        // Magic (6) + version (2) + header length (2) + header, padded with spaces so the data starts on a
        // multiple of 64 bytes, ending in '\n'.
        string dictionary = HeaderDictionary(shape);
        int unpadded = 10 + dictionary.Length + 1;
        int headerLength = dictionary.Length + 1 + (64 - unpadded % 64) % 64;
        Span<byte> prefix = stackalloc byte[10];
        Magic.CopyTo(prefix);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], (ushort)headerLength);
        stream.Write(prefix);
        byte[] header = Encoding.ASCII.GetBytes(dictionary.PadRight(headerLength - 1) + "\n");
        stream.Write(header);

        if (BitConverter.IsLittleEndian)
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data));
            return;
        }
        byte[] buffer = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), data[i]);
        stream.Write(buffer);
    }

    public static byte[] ToBytes(ReadOnlySpan<float> data, IReadOnlyList<int> shape)
    {
        using var stream = new MemoryStream();
        Write(stream, data, shape);
        return stream.ToArray();
    }

    /// <summary>A map's raw values as a (Height, Width) array.</summary>
    public static byte[] ToBytes(CamMap map) => ToBytes(map.Raw, [map.Height, map.Width]);

    public static void WriteFile(string path, ReadOnlySpan<float> data, IReadOnlyList<int> shape)
    {
        using FileStream stream = File.Create(path);
        Write(stream, data, shape);
    }

    public static NpyArray Read(byte[] bytes) => Read(new MemoryStream(bytes, writable: false));

    public static NpyArray ReadFile(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Read(stream);
    }

    /// <summary>Reads a version 1.x/2.x .npy holding little-endian float32 in C order; anything else is rejected.</summary>
    public static NpyArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        if (!prefix[..6].SequenceEqual(Magic))
            throw new InvalidDataException("Not a .npy file (missing \\x93NUMPY magic).");
        int headerLength;
        if (prefix[6] == 1)
        {
            Span<byte> length = stackalloc byte[2];
            stream.ReadExactly(length);
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(length);
        }
        else if (prefix[6] is 2 or 3)
        {
            Span<byte> length = stackalloc byte[4];
            stream.ReadExactly(length);
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(length));
        }
        else
        {
            throw new InvalidDataException($".npy version {prefix[6]}.{prefix[7]} is not supported.");
        }
        byte[] headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string header = Encoding.Latin1.GetString(headerBytes);

        Match descr = DescrPattern().Match(header);
        if (!descr.Success || descr.Groups[1].Value is not ("<f4" or "=f4"))
            throw new InvalidDataException($"Only little-endian float32 ('<f4') .npy files are supported: {header.Trim()}");
        if (!FortranPattern().IsMatch(header))
            throw new InvalidDataException($"Only C-order .npy files are supported: {header.Trim()}");
        Match shapeMatch = ShapePattern().Match(header);
        if (!shapeMatch.Success)
            throw new InvalidDataException($"The .npy header has no shape: {header.Trim()}");
        int[] shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        long count = shape.Aggregate(1L, (a, d) => a * d);
        var data = new float[checked((int)count)];
        Span<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan());
        stream.ReadExactly(bytes);
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < data.Length; i++)
                data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4, 4));
        return new NpyArray(shape, data);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*False")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
