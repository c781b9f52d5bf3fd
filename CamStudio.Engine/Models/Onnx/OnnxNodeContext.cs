using Onnx;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>Runs one compiled graph node: inputs in the node's order (null where an optional input is absent), outputs in order.</summary>
internal delegate Tensor[] OnnxKernel(Tensor?[] inputs);

/// <summary>
/// What an operator builder may know about its node at load time: attributes (with the ONNX spec's defaults supplied
/// by the builder), the opset, and which inputs are constants (initializers, Constant nodes or folded subgraphs).
/// Tensors a builder precomputes (e.g. dequantised weights) are handed to <see cref="Keep"/> so the module owns them.
/// </summary>
internal sealed class OnnxNodeContext
{
    private readonly Func<string, Tensor?> _constantOf;
    private readonly Func<Tensor, Tensor> _keep;

    public OnnxNodeContext(NodeProto node, int opset, Device device, OnnxImportOptions options,
        Func<string, Tensor?> constantOf, Func<Tensor, Tensor> keep)
    {
        Node = node;
        Opset = opset;
        Device = device;
        Options = options;
        _constantOf = constantOf;
        _keep = keep;
    }

    public NodeProto Node { get; }

    /// <summary>The model's opset for the default (ai.onnx) domain.</summary>
    public int Opset { get; }

    public Device Device { get; }

    public OnnxImportOptions Options { get; }

    public int InputCount => Node.Input.Count;

    public bool HasInput(int index) => index < Node.Input.Count && Node.Input[index].Length > 0;

    /// <summary>The value of input <paramref name="index"/> when it is known at load time, else null.</summary>
    public Tensor? Constant(int index) => HasInput(index) ? _constantOf(Node.Input[index]) : null;

    /// <summary>Input <paramref name="index"/>, which this operator requires to be known at load time.</summary>
    public Tensor RequireConstant(int index, string what) =>
        Constant(index) ?? throw new InvalidDataException(
            $"its {what} (input {index}, '{(HasInput(index) ? Node.Input[index] : "")}') must be an initializer or constant");

    public Tensor Keep(Tensor tensor) => _keep(tensor);

    public AttributeProto? Attribute(string name) => Node.Attribute.FirstOrDefault(a => a.Name == name);

    public bool Has(string name) => Attribute(name) is not null;

    public long Int(string name, long fallback) => Attribute(name) is { } a ? a.I : fallback;

    public float Float(string name, float fallback) => Attribute(name) is { } a ? a.F : fallback;

    public string String(string name, string fallback) => Attribute(name) is { } a ? a.S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Attribute(name)?.Ints.ToArray();

    public float[]? Floats(string name) => Attribute(name)?.Floats.ToArray();

    /// <summary>Values of an int64/int32 tensor read on the CPU (shape computations, axes, pads).</summary>
    public static long[] Longs(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.cpu().to_type(ScalarType.Int64).data<long>().ToArray();
    }

    public static float Scalar(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        if (tensor.numel() != 1)
            throw new InvalidDataException($"expected a single value, got a tensor of shape [{string.Join(", ", tensor.shape)}]");
        return tensor.cpu().to_type(ScalarType.Float32).data<float>()[0];
    }

    /// <summary>Axes that may come from an attribute (older opsets) or from an input (newer ones): whichever the node has.</summary>
    public long[]? AxesFromAttributeOrInput(Tensor?[] inputs, int inputIndex)
    {
        if (Ints("axes") is { } fromAttribute)
            return fromAttribute;
        return inputIndex < inputs.Length && inputs[inputIndex] is { } t ? Longs(t) : null;
    }
}
