using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>Guided backpropagation's cuts on TorchSharp modules.</summary>
/// <remarks>
/// Rectifiers are ReLU and ReLU6 modules, and TorchSharp's ResNet blocks (<c>BasicBlock</c>, <c>Bottleneck</c>),
/// whose forward ends in a functional <c>relu_</c> no hook can see: the block's output is that ReLU's output.
/// A functional ReLU elsewhere in a module's forward is not guided (pytorch-grad-cam also replaces ReLU modules only).
/// </remarks>
public sealed partial class ModuleCamModel : IRectifierTaping
{
    public bool HasRectifiers => _modules.Values.Any(IsRectifier);

    public Tensor LogitsWithRectifiersCut(Tensor input, RectifierTape tape)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(tape);
        var removers = new List<Action>();
        try
        {
            foreach (nn.Module<Tensor, Tensor> module in _modules.Values.Where(IsRectifier))
            {
                var remover = module.register_forward_hook((_, _, output) => tape.Cut(output));
                removers.Add(remover.remove);
            }
            using IDisposable gradMode = torch.enable_grad();
            using DisposeScope scope = torch.NewDisposeScope();
            return Module.call(input).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (Action remove in removers)
                remove();
        }
    }

    private static bool IsRectifier(nn.Module<Tensor, Tensor> module) =>
        module is ReLU or ReLU6 || module.GetType().Name is "BasicBlock" or "Bottleneck";
}
