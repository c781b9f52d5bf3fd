using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Features;

/// <summary>
/// Guided backpropagation (Springenberg et al. 2015, Striving for Simplicity: The All Convolutional Net, ICLR
/// workshop): ∂y_c/∂input where each rectifier passes back g · [x &gt; 0] · [g &gt; 0] instead of g · [x &gt; 0].
/// </summary>
/// <remarks>
/// No custom autograd function: the model runs with its graph cut at every rectifier output (<see cref="RectifierTape"/>),
/// so each segment between cuts is plain autograd. Going back through the cuts in reverse production order, a cut's
/// gathered gradient g is clamped to ReLU(g) and sent through its own segment, whose rectifier's backward adds
/// [x &gt; 0] (for ReLU6/Clip, the in-range mask): exactly the guided rule, one segment at a time. One forward and the
/// equivalent of one full backward per class rank, for every photo of the batch at once.
/// </remarks>
public static class GuidedBackprop
{
    /// <summary>
    /// One N×3×H×W gradient per entry of <paramref name="classesPerRank"/> (N class indices each), for
    /// <paramref name="batch"/> (preprocessed, on the model's device). Call on the torch thread.
    /// </summary>
    public static Tensor[] InputGradients(IRectifierTaping model, Tensor batch, IReadOnlyList<long[]> classesPerRank)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(classesPerRank);
        using DisposeScope scope = torch.NewDisposeScope();
        using var tape = new RectifierTape();
        using IDisposable gradMode = torch.enable_grad();
        Tensor input = batch.detach().clone().requires_grad_(true);
        Tensor logits = model.LogitsWithRectifiersCut(input, tape);
        IReadOnlyList<(Tensor Output, Tensor Leaf)> cuts = tape.Cuts;
        var everything = new List<Tensor>(cuts.Count + 1) { input };
        everything.AddRange(cuts.Select(c => c.Leaf));

        var result = new Tensor[classesPerRank.Count];
        for (int rank = 0; rank < classesPerRank.Count; rank++)
        {
            using DisposeScope rankScope = torch.NewDisposeScope();
            foreach (Tensor t in everything)
                t.grad?.zero_();
            Tensor classes = torch.tensor(classesPerRank[rank], device: logits.device).unsqueeze(1);
            Tensor score = logits.gather(1, classes).sum();
            // Gradients accumulate in the leaves' .grad, restricted to our own leaves by `inputs` (parameters never
            // require grad): unlike autograd.grad(allow_unused), a leaf a segment does not reach simply gets nothing.
            torch.autograd.backward([score], retain_graph: true, inputs: everything);
            for (int i = cuts.Count - 1; i >= 0; i--)
            {
                if (cuts[i].Leaf.grad is not { } g)
                    continue;
                torch.autograd.backward([cuts[i].Output], [g.relu()], retain_graph: true, inputs: everything.GetRange(0, i + 1));
            }
            result[rank] = (input.grad is { } gradient ? gradient.clone() : torch.zeros_like(input)).MoveToOuterDisposeScope();
        }
        foreach (Tensor r in result)
            scope.MoveToOuter(r);
        return result;
    }
}
