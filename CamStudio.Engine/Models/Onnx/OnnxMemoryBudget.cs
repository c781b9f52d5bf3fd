using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Bounds the memory of the load-time probe: before each node runs, its outputs' shapes are inferred by running the
/// node on libtorch's "meta" device (shapes only, no storage), and the node is refused when the tensors alive then plus
/// its outputs would exceed the budget. A 1.6 KB model that pads its input to 12224² is refused here, before the
/// 1.8 GB tensor exists, instead of being accepted after 45 s at 15.5 GB.
/// </summary>
/// <remarks>
/// Float tensors larger than <see cref="MetaThreshold"/> elements go to the meta device; small and integer tensors
/// (shapes, pads, axes) stay real, because kernels read their values. A kernel that cannot run on meta (it mixes in a
/// captured weight, or reads a float tensor's values) throws a libtorch error there; its output shape is then unknown
/// and the node runs for real unchecked, which is the behaviour without a budget.
/// </remarks>
internal sealed class OnnxMemoryBudget
{
    private const long MetaThreshold = 64;
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
        long[][]? shapes = OutputShapesOnMeta(node.Kernel, arguments, out long outputBytes);
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
            onMeta[i] = a is not null && a.is_floating_point() && a.numel() > MetaThreshold ? a.detach().to(META) : a;
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
