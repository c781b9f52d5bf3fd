using System.Globalization;
using System.Runtime.InteropServices;
using Onnx;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Bounds the memory of the load-time probe: before each node runs, its outputs' shapes are inferred by running the
/// node on libtorch's "meta" device (shapes only, no storage), and the node is refused when the tensors alive then plus
/// its outputs would exceed the budget. A 1.6 KB model that pads its input to 12224² is refused here, before the
/// 1.8 GB tensor exists, instead of being accepted after 45 s at 15.5 GB.
/// </summary>
/// <remarks>
/// Only operators whose output can be larger than their inputs are checked; the rest (ReLU, BatchNormalization,
/// reshapes, …) cannot pass the budget unless an earlier node did. libtorch's C++ build has meta kernels for Pad,
/// matmul, cat, index_select and the arithmetic ops (<see cref="OnMeta"/>) but not for convolutions or pools, whose
/// output bound comes from their attributes instead (<see cref="WindowOutputBound"/>). On meta, float tensors of
/// more than one element are moved there; scalars and integer tensors (shapes, pads, axes) stay real, because kernels
/// read their values. A kernel that still cannot run on meta throws; its output is then unknown and the node runs
/// unchecked, as without a budget (such throws are costly: libtorch records a backtrace).
/// The quantised operators (weights captured at load) are not checked.
/// </remarks>
internal sealed class OnnxMemoryBudget
{
    private static readonly HashSet<string> OnMeta = ["Pad", "MatMul", "Gemm", "Concat", "Gather", "Add", "Sub", "Mul", "Div"];

    private static readonly HashSet<string> Windowed = ["Conv", "ConvTranspose", "AveragePool", "MaxPool"];
    private const double BytesPerMegabyte = 1024 * 1024;

    public OnnxMemoryBudget(long bytes)
    {
        if (bytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(bytes), "The probe memory budget must be positive.");
        Bytes = bytes;
    }

    public long Bytes { get; }

    /// <summary>Throws <see cref="OnnxShapeException"/> when running <paramref name="node"/> would exceed the budget.</summary>
    public void BeforeNode(OnnxGraphNode node, Tensor?[] arguments, IEnumerable<Tensor> live)
    {
        long[][]? shapes;
        long outputBytes;
        if (OnMeta.Contains(node.OpType))
        {
            shapes = OutputShapesOnMeta(node.Kernel, arguments, out outputBytes);
        }
        else if (Windowed.Contains(node.OpType) && node.Proto is not null && arguments[0] is { } x)
        {
            long[]? bound = WindowOutputBound(node.Proto, x.shape, arguments.Length > 1 ? arguments[1]?.shape : null);
            shapes = bound is null ? null : [bound];
            outputBytes = bound is null ? 0 : SaturatingMultiply(bound.Aggregate(1L, SaturatingMultiply), sizeof(float));
        }
        else
        {
            return;
        }
        if (shapes is null)
            return;
        long liveBytes = 0;
        foreach (Tensor t in live)
            liveBytes = SaturatingAdd(liveBytes, SaturatingMultiply(t.numel(), t.element_size()));
        long total = SaturatingAdd(liveBytes, outputBytes);
        if (total > Bytes)
        {
            string largest = shapes.OrderByDescending(s => s.Aggregate(1L, SaturatingMultiply)).Select(OnnxShapeCheck.ShapeText).First();
            throw new OnnxShapeException(
                $"its output ({largest}) would take memory to {Megabytes(total)} for one photo, over the {Megabytes(Bytes)} " +
                "budget for a model (does the model pad or resize its input to a huge size?)");
        }
    }

    /// <summary>Output shapes of <paramref name="kernel"/> on <paramref name="arguments"/>, inferred without storage; null when unknown.</summary>
    internal static long[][]? OutputShapesOnMeta(OnnxKernel kernel, Tensor?[] arguments, out long outputBytes)
    {
        outputBytes = 0;
        using var scope = NewDisposeScope();
        var onMeta = new Tensor?[arguments.Length];
        for (int i = 0; i < arguments.Length; i++)
        {
            Tensor? a = arguments[i];
            onMeta[i] = a is not null && a.is_floating_point() && a.numel() > 1 ? a.detach().to(META) : a;
        }
        Tensor[] results;
        try
        {
            results = kernel(onMeta);
        }
        catch (Exception ex) when (ex is ExternalException or InvalidDataException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
        var shapes = new long[results.Length][];
        for (int i = 0; i < results.Length; i++)
        {
            shapes[i] = results[i].shape;
            outputBytes = SaturatingAdd(outputBytes, SaturatingMultiply(shapes[i].Aggregate(1L, SaturatingMultiply), results[i].element_size()));
        }
        return shapes;
    }

    /// <summary>
    /// An upper bound of a convolution's or pool's output shape from its attributes (ONNX operator spec): channels from
    /// the weight, and per spatial axis at most the padded input (Conv, pools: stride and kernel only shrink it) or
    /// (in − 1)·stride + dilation·(k − 1) + output_padding + 1 (ConvTranspose). Null when the input is not N×C×….
    /// </summary>
    internal static long[]? WindowOutputBound(NodeProto node, long[] input, long[]? weight)
    {
        if (input.Length < 3)
            return null;
        int n = input.Length - 2;
        long[] Ints(string name, long fallback)
        {
            long[]? values = node.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray();
            return values is { Length: > 0 } ? values : Enumerable.Repeat(fallback, name == "pads" ? 2 * n : n).ToArray();
        }
        long[] pads = Ints("pads", 0), strides = Ints("strides", 1), dilations = Ints("dilations", 1), outputPadding = Ints("output_padding", 0);
        long group = node.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1;
        long channels = node.OpType switch
        {
            "Conv" when weight is { Length: > 0 } => weight[0],
            "ConvTranspose" when weight is { Length: > 1 } => SaturatingMultiply(weight[1], Math.Max(1, group)),
            _ => input[1],
        };
        var shape = new long[input.Length];
        shape[0] = input[0];
        shape[1] = channels;
        for (int i = 0; i < n; i++)
        {
            long padded = SaturatingAdd(input[i + 2], SaturatingAdd(Math.Max(0, At(pads, i)), Math.Max(0, At(pads, i + n))));
            if (node.OpType == "ConvTranspose")
            {
                long kernel = weight is { Length: > 2 } && weight.Length > i + 2 ? weight[i + 2] : 1;
                long grown = SaturatingMultiply(Math.Max(0, input[i + 2] - 1), Math.Max(1, At(strides, i)));
                padded = SaturatingAdd(grown, SaturatingAdd(SaturatingMultiply(Math.Max(1, At(dilations, i)), Math.Max(0, kernel - 1)),
                    Math.Max(0, At(outputPadding, i)) + 1));
            }
            shape[i + 2] = padded;
        }
        return shape;

        static long At(long[] values, int i) => i < values.Length ? values[i] : 0;
    }

    private static long SaturatingMultiply(long a, long b)
    {
        try
        {
            return checked(a * b);
        }
        catch (OverflowException)
        {
            return long.MaxValue;
        }
    }

    private static long SaturatingAdd(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static string Megabytes(long bytes) =>
        bytes == long.MaxValue ? "more than 8 EB" : (bytes / BytesPerMegabyte).ToString("0.#", CultureInfo.InvariantCulture) + " MB";
}
