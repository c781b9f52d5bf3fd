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
}
