using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>What FullGrad sums: the input with its gradient, and every biased layer's bias with the gradient at its output (borrowed tensors).</summary>
/// <param name="Input">N×3×H×W, the model's input.</param>
/// <param name="InputGradient">N×3×H×W ∂y_c/∂x.</param>
/// <param name="Layers">Each biased layer's C biases and N×C×h×w ∂y_c/∂(its output).</param>
public sealed record FullGradients(Tensor Input, Tensor InputGradient, IReadOnlyList<BiasGradient> Layers);

/// <summary>One biased layer: its per-channel bias and the gradient of the class score at its output.</summary>
public sealed record BiasGradient(Tensor Bias, Tensor Gradient);
