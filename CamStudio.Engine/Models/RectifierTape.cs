using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// A model that can run with every rectifier's output (ReLU, ReLU6, ONNX Relu/Clip) handed to a
/// <see cref="RectifierTape"/>, which cuts the graph there: what guided backpropagation needs to change the
/// backward rule of the rectifiers only, with plain autograd everywhere else.
/// </summary>
public interface IRectifierTaping
{
    /// <summary>True when the model has at least one rectifier to guide (else guided backpropagation is the plain gradient).</summary>
    bool HasRectifiers { get; }

    /// <summary>
    /// Logits for <paramref name="input"/> (N×3×H×W, requiring grad), under grad mode, each rectifier's output
    /// replaced by what <see cref="RectifierTape.Cut"/> returns. Call on the torch thread.
    /// </summary>
    Tensor LogitsWithRectifiersCut(Tensor input, RectifierTape tape);
}

/// <summary>
/// The rectifier outputs of one forward pass, in the order they were produced, each as the graph-attached output and
/// a fresh leaf the rest of the network was given instead (through a copy, so in-place modules downstream never touch
/// the leaf). Owns both; disposing frees them and with them the graph.
/// </summary>
public sealed class RectifierTape : IDisposable
{
    private readonly List<(Tensor Output, Tensor Leaf)> _cuts = [];

    /// <summary>The cuts in production order.</summary>
    public IReadOnlyList<(Tensor Output, Tensor Leaf)> Cuts => _cuts;

    /// <summary>Records <paramref name="output"/> and returns what the network should continue with.</summary>
    public Tensor Cut(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.requires_grad || !output.is_floating_point())
            return output;
        Tensor kept = output.alias().DetachFromDisposeScope();
        Tensor leaf = output.detach().DetachFromDisposeScope().requires_grad_(true);
        _cuts.Add((kept, leaf));
        return leaf.clone();
    }

    public void Dispose()
    {
        foreach ((Tensor output, Tensor leaf) in _cuts)
        {
            output.Dispose();
            leaf.Dispose();
        }
        _cuts.Clear();
    }
}
