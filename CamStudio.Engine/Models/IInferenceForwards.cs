using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// A model that runs many inputs for their logits alone (the extra passes of Score-CAM and its relatives): no capture,
/// no autograd (inference mode), and in bfloat16 where the CPU has it and the model can be copied.
/// </summary>
public interface IInferenceForwards
{
    /// <summary>The precision <see cref="InferenceLogits"/> computes in (Float32 or BFloat16).</summary>
    ScalarType InferencePrecision { get; }

    /// <summary>Logits (M × classes, float32, no autograd history) of <paramref name="input"/> (M×3×H×W, float32); the caller owns them.</summary>
    Tensor InferenceLogits(Tensor input);
}
