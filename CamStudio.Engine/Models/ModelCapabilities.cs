namespace CamStudio.Engine.Models;

/// <summary>What a model can do for CAM methods beyond a forward pass; the linear head is per layer (<see cref="ICamModel.HeadAfter"/>).</summary>
[Flags]
public enum ModelCapabilities
{
    /// <summary>A forward pass with a captured layer, nothing more.</summary>
    None = 0,

    /// <summary>Autograd from a captured layer to the logits (gradient methods).</summary>
    Gradients = 1,

    /// <summary>Rerunning with a layer's output replaced (<see cref="ILayerOutputReplacement"/>, Ablation-CAM).</summary>
    LayerOutputReplacement = 2,

    /// <summary>Autograd of the gradient itself (a Hessian-vector product, ShapleyCAM).</summary>
    SecondOrderGradients = 4,

    /// <summary>Gradients through to the input and at every biased layer, with each layer's bias (<see cref="IBiasGradientModel"/>, FullGrad).</summary>
    BiasGradients = 8,

    /// <summary>Attention blocks scored one by one through the model's own final norm and head (<see cref="IAttentionBlocksModel"/>, LeGrad).</summary>
    AttentionBlocks = 16,
}
