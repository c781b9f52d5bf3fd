using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// A node's inputs do not fit its operator (e.g. a classifier weight of the wrong shape). The message says what does
/// not fit, without the node: the graph adds "file: node 'X' (Op): " in front.
/// </summary>
internal sealed class OnnxShapeException(string message) : Exception(message);

/// <summary>
/// Shape checks that must run before libtorch sees a user's tensors. Most libtorch shape errors come back as a
/// <see cref="ExternalException"/>, but a mismatched matmul aborts the whole process (SIGABRT inside THSTensor_matmul,
/// TorchSharp 0.107 with libtorch 2.10), so every matmul on a user model goes through <see cref="MatMul"/>.
/// </summary>
internal static class OnnxShapeCheck
{
    /// <summary><c>a.matmul(b)</c> after checking numpy matmul rules (1-D promotion, K match, broadcastable batch axes).</summary>
    /// <remarks>
    /// Every matmul error aborts, so types and devices are checked too: operands on different devices (e.g. during the
    /// meta-device shape inference of <see cref="OnnxMemoryBudget"/>) give an <see cref="InvalidOperationException"/>.
    /// </remarks>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        RequireOperands(a, b);
        if (a.dim() >= 3 && b.dim() == 2 && a.numel() > 0)
        {
            // A stack of rows times one matrix is one GEMM. libtorch's matmul folds the stack into rows only when it
            // is contiguous; otherwise (e.g. seq-first attention's N×1×C view) it expands the matrix per row and
            // runs a batched matrix-vector product, ≈ 3× slower on ViT-B's in-projection.
            long[] shape = [.. a.shape[..^1], b.shape[1]];
            return a.reshape(-1, a.shape[^1]).mm(b).view(shape);
        }
        return a.matmul(b);
    }

    /// <summary><c>a·b + bias</c> for a matrix <paramref name="b"/> and a row <paramref name="bias"/>: one addmm, the bias added inside the GEMM.</summary>
    public static Tensor MatMulAdd(Tensor a, Tensor b, Tensor bias)
    {
        if (b.dim() != 2 || bias.dim() != 1 || bias.shape[0] != b.shape[1] || bias.dtype != b.dtype
            || bias.device_type != b.device_type || bias.device_index != b.device_index || a.dim() < 2 || a.numel() == 0)
            return MatMul(a, b) + bias;
        RequireOperands(a, b);
        long[] shape = [.. a.shape[..^1], b.shape[1]];
        return bias.addmm(a.reshape(-1, a.shape[^1]), b).view(shape);
    }

    private static void RequireOperands(Tensor a, Tensor b)
    {
        RequireMatMul(a.shape, b.shape);
        if (a.dtype != b.dtype)
            throw new OnnxShapeException($"input types {a.dtype} and {b.dtype} do not match");
        if (a.device_type != b.device_type || a.device_index != b.device_index)
            throw new InvalidOperationException($"matmul operands on {a.device} and {b.device}");
    }

    public static void RequireMatMul(long[] a, long[] b)
    {
        if (a.Length == 0 || b.Length == 0)
            throw Mismatch(a, b, "a scalar cannot be matrix-multiplied");
        long k1 = a[^1];
        long k2 = b.Length == 1 ? b[0] : b[^2];
        if (k1 != k2)
            throw Mismatch(a, b, null);
        long[] batchA = a.Length > 2 ? a[..^2] : [];
        long[] batchB = b.Length > 2 ? b[..^2] : [];
        if (BroadcastShape(batchA, batchB) is null)
            throw Mismatch(a, b, "their batch axes do not broadcast");
    }

    /// <summary>The numpy broadcast of two shapes, or null when they do not broadcast.</summary>
    public static long[]? BroadcastShape(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long y = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (x != y && x != 1 && y != 1)
                return null;
            result[i] = x == 1 ? y : x;
        }
        return result;
    }

    public static string ShapeText(long[] shape) => shape.Length == 0 ? "scalar" : string.Join("×", shape);

    private static OnnxShapeException Mismatch(long[] a, long[] b, string? why) =>
        new($"input shapes {ShapeText(a)} and {ShapeText(b)} do not match{(why is null ? "" : $" ({why})")}");
}
