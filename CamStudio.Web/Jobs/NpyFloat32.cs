using System.Buffers.Binary;
using System.Text;

namespace CamStudio.Web.Jobs;

/// <summary>A 2-D float32 array as a NumPy .npy file (format 1.0, little-endian, C order).</summary>
/// <remarks>Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html</remarks>
internal static class NpyFloat32
{
    public static byte[] Encode(float[] values, int rows, int columns)
    {
        if (values.Length != rows * columns)
            throw new ArgumentException($"{rows}×{columns} needs {rows * columns} values, got {values.Length}.", nameof(values));
        string dictionary = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {columns}), }}";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64 and ended by '\n'.
        int unpadded = 10 + dictionary.Length + 1;
        int headerLength = dictionary.Length + 1 + (64 - unpadded % 64) % 64;
        var bytes = new byte[10 + headerLength + values.Length * 4];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY", bytes.AsSpan(1));
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)headerLength);
        var header = bytes.AsSpan(10, headerLength);
        header.Fill((byte)' ');
        Encoding.ASCII.GetBytes(dictionary, header);
        header[^1] = (byte)'\n';
        var data = bytes.AsSpan(10 + headerLength);
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(data[(i * 4)..], values[i]);
        return bytes;
    }
}
