using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>Guided backpropagation's cuts on an ONNX graph: the outputs of its Relu and Clip (ReLU6) nodes.</summary>
public sealed partial class OnnxCamModel : IRectifierTaping
{
    public bool HasRectifiers => _graph.Nodes.Any(n => OnnxGraphModule.IsRectifier(n.OpType));

    public Tensor LogitsWithRectifiersCut(Tensor input, RectifierTape tape)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(tape);
        ValidateInput(input);
        using var scope = NewDisposeScope();
        using IDisposable mode = torch.enable_grad();
        using GraphRun run = _graph.Execute(input, capture: null, gradientsFromCapture: false, rectified: tape.Cut);
        return LogitsOf(run.Output).alias().MoveToOuterDisposeScope();
    }
}
