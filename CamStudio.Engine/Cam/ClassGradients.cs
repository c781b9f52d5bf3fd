using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>
/// The gradients one class rank needs, from one backward: ∂y_c/∂A at the layer, and when asked the
/// Hessian-vector product H·A (one more backward, through the first one's graph) and the gradients at the input and
/// every biased layer (the same backward, run on to the input).
/// </summary>
internal static class ClassGradients
{
    /// <summary>∂(Σ_i logits[i, c_i])/∂A and what else is asked; every tensor returned is detached.</summary>
    public static (Tensor Activation, Tensor? HessianVectorProduct, FullGradients? Full) Of(
        ModelRun run, Tensor classIndices, bool hessian, bool full, bool retainGraph)
    {
        Tensor score = run.Logits.gather(1, classIndices.unsqueeze(1)).sum();
        var inputs = new List<Tensor> { run.Activation };
        if (full)
        {
            inputs.Add(run.Input ?? throw new InvalidOperationException("FullGrad needs a run recorded from the input."));
            inputs.AddRange(run.BiasTerms.Select(t => t.Output));
        }
        IList<Tensor> gradients = torch.autograd.grad([score], inputs, retain_graph: retainGraph || hessian, create_graph: hessian);
        Tensor activationGradient = gradients[0];
        Tensor? hvp = hessian ? HessianTimesActivation(activationGradient, run.Activation, retainGraph) : null;
        FullGradients? fullGradients = full
            ? new FullGradients(run.Input!.detach(), gradients[1].detach(),
                run.BiasTerms.Select((t, i) => new BiasGradient(t.Bias, gradients[i + 2].detach())).ToArray())
            : null;
        return (activationGradient.detach(), hvp, fullGradients);
    }

    /// <summary>
    /// H·A = ∂⟨∂y/∂A, A⟩/∂A with A held fixed (A's values as the vector). A gradient that does not depend on A (the
    /// model is linear after the layer, e.g. GAP + linear) has a zero Hessian.
    /// </summary>
    private static Tensor HessianTimesActivation(Tensor gradient, Tensor activation, bool retainGraph)
    {
        if (!gradient.requires_grad)
            return torch.zeros_like(activation).detach();
        IList<Tensor> product = torch.autograd.grad([gradient], [activation], [activation.detach()], retain_graph: retainGraph, allow_unused: true);
        Tensor? hvp = product.Count > 0 ? product[0] : null;
        return hvp is null || hvp.IsInvalid ? torch.zeros_like(activation).detach() : hvp.detach();
    }
}
