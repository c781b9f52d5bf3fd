using CamStudio.Engine.Models;
namespace CamStudio.Engine.Cam;

/// <summary>What a CAM method needs from the model and the engine; compared with a model's capabilities to decide where it applies.</summary>
[Flags]
public enum MethodRequirements
{
    /// <summary>Nothing beyond the captured activation.</summary>
    None = 0,

    /// <summary>∂score/∂A for the explained class (<see cref="CamInputs.Gradients"/>).</summary>
    Gradients = 1,

    /// <summary>Global average pooling + one linear layer right after the layer (<see cref="CamInputs.Head"/>).</summary>
    LinearHead = 2,

    /// <summary>Rerunning the model with the layer's output replaced (<see cref="ILayerOutputReplacement"/>).</summary>
    LayerOutputReplacement = 4,

    /// <summary>Extra forward passes (<see cref="CamInputs.Forwards"/>): slow, so scheduled as long work with progress.</summary>
    ExtraForwards = 8,

    /// <summary>
    /// The Hessian of the class score times the activation, H·A (<see cref="CamInputs.HessianVectorProduct"/>, ShapleyCAM):
    /// the shared backward builds its own graph and one more backward follows.
    /// </summary>
    HessianVectorProduct = 16,

    /// <summary>
    /// The gradient of the class score at the input and at every biased layer (<see cref="CamInputs.FullGradients"/>,
    /// FullGrad): the shared backward runs through to the input.
    /// </summary>
    BiasGradients = 32,

    /// <summary>
    /// The gradient of each attention block's own class score with respect to its attention probabilities
    /// (<see cref="CamInputs.Attention"/>, LeGrad): a vision transformer whose final norm and head can score every block.
    /// </summary>
    AttentionGradients = 64,
}
