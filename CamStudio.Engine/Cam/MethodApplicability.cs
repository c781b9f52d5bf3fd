using CamStudio.Engine.Models;

namespace CamStudio.Engine.Cam;

/// <summary>
/// Whether a method applies to a model at a layer, from the method's <see cref="ICamMethod.Requirements"/> and the
/// model's <see cref="ICamModel.Capabilities"/> (and its head after the layer): the one wording of each refusal.
/// </summary>
public static class MethodApplicability
{
    /// <summary>
    /// Null when <paramref name="method"/> can explain <paramref name="layer"/> of <paramref name="model"/>; otherwise why
    /// not and what to do, naming the model <paramref name="modelName"/> (default: its own name). Call on the torch
    /// thread (the head check may run the model).
    /// </summary>
    public static string? WhyNot(ICamMethod method, ICamModel model, string layer, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(model);
        string name = modelName ?? model.Name;
        MethodRequirements needs = method.Requirements;
        if (needs.HasFlag(MethodRequirements.Gradients) && !model.Capabilities.HasFlag(ModelCapabilities.Gradients))
            return $"Method {method.Id} needs gradients, which model '{name}' cannot compute; use a gradient-free method (e.g. scorecam or eigencam).";
        if (needs.HasFlag(MethodRequirements.LayerOutputReplacement) && !model.Capabilities.HasFlag(ModelCapabilities.LayerOutputReplacement))
            return $"Method {method.Id} needs to rerun the model with a layer's output replaced, which model '{name}' cannot do; use another method (e.g. scorecam).";
        if (needs.HasFlag(MethodRequirements.HessianVectorProduct) && !model.Capabilities.HasFlag(ModelCapabilities.SecondOrderGradients))
            return $"Method {method.Id} needs second derivatives (a Hessian-vector product), which model '{name}' cannot compute; use gradcam instead (the same map without the Hessian term).";
        if (needs.HasFlag(MethodRequirements.BiasGradients) && !model.Capabilities.HasFlag(ModelCapabilities.BiasGradients))
            return $"Method {method.Id} needs the gradient at the input and at every layer with a bias, with those biases, which model '{name}' does not expose (only TorchSharp/TorchVision models do); use hirescam or layercam instead.";
        if (needs.HasFlag(MethodRequirements.AttentionGradients))
        {
            if (model is IAttentionBlocksModel { AttentionBlocksUnavailable: { } why })
                return $"Method {method.Id} needs a vision transformer's attention blocks scored by its own head, and model '{name}' cannot give them: {why} Use gradcam instead.";
            if (model is not IAttentionBlocksModel || !model.Capabilities.HasFlag(ModelCapabilities.AttentionBlocks))
                return $"Method {method.Id} needs a vision transformer's attention blocks, which model '{name}' does not have (only imported ONNX transformers do); use gradcam instead.";
        }
        if (needs.HasFlag(MethodRequirements.LinearHead) && model.HeadAfter(layer) is null)
            return $"Method {method.Id} needs global average pooling followed by one linear layer after layer '{layer}', and model '{name}' has something else there; use gradcam (or another gradient method) instead.";
        return null;
    }
}
