using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>Turns ONNX <see cref="TensorProto"/> initializers and constants into TorchSharp tensors of the same element type.</summary>
/// <remarks>Data comes either from <c>raw_data</c> (little-endian bytes) or from the typed repeated fields (onnx.proto3, TensorProto).</remarks>
internal static class OnnxTensorReader
{
    public static Tensor Read(TensorProto proto, Device device)
    {
        long[] dims = proto.Dims.ToArray();
        if (dims.Any(d => d < 0))
            throw new InvalidDataException($"tensor '{proto.Name}' has a negative dimension [{string.Join(", ", dims)}]");
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidDataException($"tensor '{proto.Name}' keeps its data in an external file, which CamStudio does not read");
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw data is little-endian; big-endian hosts are not supported.");
        long count = dims.Aggregate(1L, (a, b) => a * b);
        var type = (DataType)proto.DataType;
        ByteString raw = proto.RawData;
        string name = proto.Name;
        Tensor cpu = type switch
        {
            DataType.Float => torch.tensor(raw.IsEmpty ? Typed(proto.FloatData, count, name) : Raw<float>(raw, count, name), dims, ScalarType.Float32),
            DataType.Double => torch.tensor(raw.IsEmpty ? Typed(proto.DoubleData, count, name) : Raw<double>(raw, count, name), dims, ScalarType.Float64)
                .to_type(ScalarType.Float32),
            DataType.Int64 => torch.tensor(raw.IsEmpty ? Typed(proto.Int64Data, count, name) : Raw<long>(raw, count, name), dims, ScalarType.Int64),
            DataType.Int32 => torch.tensor(raw.IsEmpty ? Typed(proto.Int32Data, count, name) : Raw<int>(raw, count, name), dims, ScalarType.Int32),
            // int8, uint8 and bool keep one value per int32 in int32_data when raw_data is absent.
            DataType.Int8 => torch.tensor(raw.IsEmpty ? Typed(proto.Int32Data, count, name).Select(v => (sbyte)v).ToArray() : Raw<sbyte>(raw, count, name), dims, ScalarType.Int8),
            DataType.Uint8 => torch.tensor(raw.IsEmpty ? Typed(proto.Int32Data, count, name).Select(v => (byte)v).ToArray() : Raw<byte>(raw, count, name), dims, ScalarType.Byte),
            DataType.Bool => torch.tensor((raw.IsEmpty ? Typed(proto.Int32Data, count, name) : Raw<byte>(raw, count, name).Select(b => (int)b).ToArray())
                .Select(v => v != 0).ToArray(), dims, ScalarType.Bool),
            _ => throw new InvalidDataException(
                $"tensor '{name}' has element type {type}, which CamStudio does not read (float, double, int8, uint8, int32, int64 and bool are)"),
        };
        if (device.type == DeviceType.CPU)
            return cpu;
        using (cpu)
            return cpu.to(device);
    }

    private static T[] Raw<T>(ByteString raw, long count, string name) where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        if (raw.Length != count * size)
            throw new InvalidDataException($"tensor '{name}' has {raw.Length} bytes of raw data, but its shape needs {count * size}");
        return MemoryMarshal.Cast<byte, T>(raw.Span).ToArray();
    }

    private static T[] Typed<T>(IList<T> values, long count, string name)
    {
        if (values.Count != count)
            throw new InvalidDataException($"tensor '{name}' has {values.Count} values, but its shape needs {count}");
        return values.ToArray();
    }
}
