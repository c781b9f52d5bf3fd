using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// Captures the output of one module during a forward pass (through <c>module.call</c>; hooks never fire
/// through <c>forward</c>), optionally as the start of the autograd graph.
/// </summary>
/// <remarks>
/// The hook keeps a detached handle on the module's output (detached from the model's dispose scopes, which
/// would free it) and hands the rest of the network a copy. The detached handle is always a leaf, so with
/// gradients on, autograd records only from it to the logits; the copy keeps in-place modules downstream
/// (e.g. torchvision's <c>ReLU(inplace)</c>) from changing the captured values or tripping autograd's check on
/// leaves. The copy costs one activation's worth of memory traffic, which is small beside any convolution.
/// </remarks>
internal sealed class ActivationCapture : IDisposable
{
    private readonly string _layer;
    private readonly bool _trackGradients;
    private readonly bool _keepHistory;
    private readonly Action _removeHook;
    private Tensor? _activation;

    /// <param name="keepHistory">Keep the activation in the graph from the input (FullGrad) instead of starting a new one there.</param>
    public ActivationCapture(nn.Module<Tensor, Tensor> module, string layer, bool trackGradients, bool keepHistory = false)
    {
        _layer = layer;
        _trackGradients = trackGradients;
        _keepHistory = keepHistory;
        var remover = module.register_forward_hook(OnForward);
        _removeHook = remover.remove;
    }

    /// <summary>How often the module ran in the forward pass (a module that runs twice has no single output).</summary>
    public int Calls { get; private set; }

    /// <summary>Hands over the captured activation (the caller owns it from now on).</summary>
    public Tensor TakeActivation()
    {
        if (Calls != 1 || _activation is null)
            throw new InvalidOperationException(Calls == 0
                ? $"Layer '{_layer}' did not run in the forward pass, so it has nothing to capture."
                : $"Layer '{_layer}' ran {Calls} times in one forward pass, so it has no single output to explain; pick another layer.");
        Tensor activation = _activation;
        _activation = null;
        return activation;
    }

    public void Dispose()
    {
        _removeHook();
        _activation?.Dispose();
        _activation = null;
    }

    private Tensor OnForward(nn.Module<Tensor, Tensor> module, Tensor input, Tensor output)
    {
        Calls++;
        if (Calls > 1)
            return output;
        if (_keepHistory)
        {
            // The output itself, history and all; the rest of the network gets a copy, for in-place modules downstream.
            _activation = output.alias().DetachFromDisposeScope();
            return output.clone();
        }
        Tensor captured = output.detach().DetachFromDisposeScope();
        if (_trackGradients)
            captured.requires_grad_(true);
        _activation = captured;
        return captured.clone();
    }
}
