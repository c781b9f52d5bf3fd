using CamStudio.Engine.Models.Onnx;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;
using DataType = Onnx.TensorProto.Types.DataType;

namespace CamStudio.Tests.Onnx;

/// <summary>Hand-built ONNX models for operator tests: protobuf objects, serialised to bytes and imported like a file.</summary>
internal sealed class OnnxGraphBuilder
{
    private readonly ModelProto _model;
    private readonly GraphProto _graph = new() { Name = "test" };

    public OnnxGraphBuilder(int opset = 13, string input = "x", long[]? inputShape = null)
    {
        _model = new ModelProto { IrVersion = 7, Graph = _graph };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        var type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = new TensorShapeProto() } };
        foreach (long d in inputShape ?? [])
            type.TensorType.Shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        _graph.Input.Add(new ValueInfoProto { Name = input, Type = type });
    }

    public OnnxGraphBuilder Float(string name, float[] values, params long[] dims) => Add(name, DataType.Float, dims, t => t.FloatData.Add(values));

    public OnnxGraphBuilder Long(string name, long[] values, params long[] dims) => Add(name, DataType.Int64, dims, t => t.Int64Data.Add(values));

    public OnnxGraphBuilder Int32(string name, int[] values, params long[] dims) => Add(name, DataType.Int32, dims, t => t.Int32Data.Add(values));

    /// <summary>int8 stored as raw bytes (the form quantisers write).</summary>
    public OnnxGraphBuilder Int8(string name, sbyte[] values, params long[] dims) =>
        Add(name, DataType.Int8, dims, t => t.RawData = ByteString.CopyFrom(values.Select(v => (byte)v).ToArray()));

    /// <summary>uint8 stored in int32_data (the typed-field form).</summary>
    public OnnxGraphBuilder UInt8(string name, byte[] values, params long[] dims) =>
        Add(name, DataType.Uint8, dims, t => t.Int32Data.Add(values.Select(v => (int)v)));

    private OnnxGraphBuilder Add(string name, DataType type, long[] dims, Action<TensorProto> fill)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.Add(dims);
        fill(tensor);
        _graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>A tensor copied as is from another model.</summary>
    public OnnxGraphBuilder Raw(TensorProto tensor)
    {
        _graph.Initializer.Add(tensor.Clone());
        return this;
    }

    /// <summary>A node copied as is from another model.</summary>
    public OnnxGraphBuilder RawNode(NodeProto node)
    {
        _graph.Node.Add(node.Clone());
        return this;
    }

    public OnnxGraphBuilder Node(string op, string[] inputs, string[] outputs, string domain = "", string? name = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Domain = domain, Name = name ?? $"{op.ToLowerInvariant()}_{_graph.Node.Count}" };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
        return this;
    }

    public OnnxGraphBuilder Node(string op, string[] inputs, string output, params AttributeProto[] attributes) =>
        Node(op, inputs, [output], "", null, attributes);

    public OnnxGraphBuilder Output(string name)
    {
        _graph.Output.Add(new ValueInfoProto { Name = name });
        return this;
    }

    /// <summary>A float graph output with a declared shape (−1: a symbolic dimension).</summary>
    public OnnxGraphBuilder Output(string name, params long[] shape)
    {
        var type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = new TensorShapeProto() } };
        foreach (long d in shape)
            type.TensorType.Shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        _graph.Output.Add(new ValueInfoProto { Name = name, Type = type });
        return this;
    }

    public byte[] Bytes()
    {
        if (_graph.Output.Count == 0)
            Output(_graph.Node[^1].Output[0]);
        return _model.ToByteArray();
    }

    public OnnxGraphModule Load(OnnxImportOptions? options = null) => OnnxGraphModule.Load(Bytes(), "test.onnx", CPU, options);

    /// <summary>Builds, imports and runs the graph once; returns its first output.</summary>
    public Tensor Run(Tensor input, OnnxImportOptions? options = null)
    {
        using OnnxGraphModule module = Load(options);
        using var noGrad = torch.no_grad();
        return module.call(input);
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Tensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { DataType = (int)DataType.Float };
        t.Dims.Add(dims);
        t.FloatData.Add(values);
        return new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t };
    }
}
