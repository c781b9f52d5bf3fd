using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// A model whose forward pass autograd can record from the input on, with the output and bias of every layer that
/// adds one (what FullGrad needs: Srinivas &amp; Fleuret 2019).
/// </summary>
public interface IBiasGradientModel
{
    /// <summary>
    /// Runs like <see cref="ICamModel.Run"/> with gradients, but autograd records from the input on: the run's
    /// <see cref="ModelRun.Input"/> requires grad and <see cref="ModelRun.BiasTerms"/> lists every biased layer, so one
    /// backward gives the gradient at the captured layer, at the input and at each biased layer together.
    /// </summary>
    ModelRun RunFromInput(Tensor input, string layer);
}

/// <summary>One layer that adds a per-channel bias: its N×C×h×w output (in the autograd graph) and its C biases.</summary>
/// <param name="Output">The layer's output, in the graph from the input.</param>
/// <param name="Bias">The bias it adds per channel; for batch norm in eval mode β − μ·γ/√(σ² + ε).</param>
public sealed record BiasTerm(Tensor Output, Tensor Bias);
