using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// ONNX Runtime as the independent reference for operator tests: runs a model's bytes on a float input and hands every
/// graph output back as a TorchSharp tensor of the same element type (float, int64, int32 or bool).
/// </summary>
internal static class OnnxRuntimeReference
{
    /// <summary>
    /// One thread and exact integer products. On x64 CPUs without VNNI (AVX2, AVX-512 without VNNI), ONNX Runtime's
    /// u8×s8 GEMMs add pairs of products in saturating 16-bit lanes (vpmaddubsw), so its int8 layers differ from the
    /// ONNX definition by tens of LSB there; <c>session.x64quantprecision</c> makes it use its exact u8×u8 kernels.
    /// </summary>
    public static SessionOptions ExactOptions()
    {
        var options = new SessionOptions { IntraOpNumThreads = 1 };
        options.AddSessionConfigEntry("session.x64quantprecision", "1");
        return options;
    }

    public static Tensor[] Run(byte[] model, Tensor input, string inputName = "x") => Run(model, (inputName, input));

    /// <summary>Runs a model with several float inputs (e.g. an image and an intermediate tensor cut free of its producer).</summary>
    public static Tensor[] Run(byte[] model, params (string Name, Tensor Value)[] inputs)
    {
        using SessionOptions options = ExactOptions();
        options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        using var session = new InferenceSession(model, options);
        var values = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name,
            new DenseTensor<float>(i.Value.contiguous().cpu().data<float>().ToArray(), i.Value.shape.Select(d => (int)d).ToArray()))).ToList();
        using var results = session.Run(values);
        return session.OutputMetadata.Keys.Select(name => ToTorch(results.First(r => r.Name == name))).ToArray();
    }

    private static Tensor ToTorch(DisposableNamedOnnxValue value)
    {
        TensorElementType type = value.ElementType;
        return type switch
        {
            TensorElementType.Float => From(value.AsTensor<float>(), ScalarType.Float32),
            TensorElementType.Int64 => From(value.AsTensor<long>(), ScalarType.Int64),
            TensorElementType.Int32 => From(value.AsTensor<int>(), ScalarType.Int32),
            TensorElementType.Bool => From(value.AsTensor<bool>(), ScalarType.Bool),
            _ => throw new NotSupportedException($"output '{value.Name}' has element type {type}"),
        };
    }

    private static Tensor From<T>(Tensor<T> tensor, ScalarType type) where T : unmanaged
    {
        long[] shape = tensor.Dimensions.ToArray().Select(d => (long)d).ToArray();
        T[] data = tensor.ToArray();
        return type switch
        {
            ScalarType.Float32 => torch.tensor((float[])(object)data, shape),
            ScalarType.Int64 => torch.tensor((long[])(object)data, shape),
            ScalarType.Int32 => torch.tensor((int[])(object)data, shape),
            _ => torch.tensor((bool[])(object)data, shape),
        };
    }
}
