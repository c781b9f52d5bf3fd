using CamStudio.Engine.Models;
using static TorchSharp.torch;
using CamStudio.Engine.Maps;

namespace CamStudio.Engine.Cam;

/// <summary>One class activation mapping method: turns a captured activation (and gradients) into raw maps.</summary>
/// <remarks>
/// Methods only hold their paper's equation. Capture, gradients, class selection and normalisation live once,
/// in <see cref="CamExplainer"/> and <see cref="CamMap"/>.
/// </remarks>
public interface ICamMethod
{
    /// <summary>Stable id used in requests and on the command line, e.g. "gradcam".</summary>
    string Id { get; }

    /// <summary>Name to show people, e.g. "Grad-CAM".</summary>
    string DisplayName { get; }

    /// <summary>The paper the equation comes from, in one line.</summary>
    string Paper { get; }

    /// <summary>What the method needs from the model and the engine (see <see cref="MethodRequirements"/>).</summary>
    MethodRequirements Requirements { get; }

    /// <summary>Needs ∂score/∂A for the explained class (<see cref="CamInputs.Gradients"/>).</summary>
    bool NeedsGradients => Requirements.HasFlag(MethodRequirements.Gradients);

    /// <summary>Needs the global-average-pooling + linear head after the layer (<see cref="CamInputs.Head"/>).</summary>
    bool NeedsHead => Requirements.HasFlag(MethodRequirements.LinearHead);

    /// <summary>False when the map does not depend on the class (Eigen-CAM): computed once per photo.</summary>
    bool IsClassSpecific { get; }

    /// <summary>Runs extra forward passes (<see cref="CamInputs.Forwards"/>): Score-CAM, Ablation-CAM. Not cheap.</summary>
    bool NeedsExtraForwards => Requirements.HasFlag(MethodRequirements.ExtraForwards);

    /// <summary>How many extra forward passes one photo costs at a layer of <paramref name="channels"/> channels (0 without <see cref="MethodRequirements.ExtraForwards"/>), for progress.</summary>
    long ExtraForwardsPerPhoto(long channels) => 0;

    /// <summary>The numbers this method takes from the user, with defaults (none for most methods).</summary>
    IReadOnlyList<MethodOption> Options => [];

    /// <summary>This method configured with <paramref name="values"/> (checked values of every option in <see cref="Options"/>); methods without options return themselves.</summary>
    ICamMethod WithOptions(MethodOptionValues values) => this;

    /// <summary>Raw maps, N×h×w, as the paper defines them (ReLU included where the paper has one), not normalised.</summary>
    Tensor Compute(CamInputs inputs);
}

/// <summary>What a method may use; tensors are borrowed (the caller disposes them).</summary>
/// <param name="Activations">N×C×h×w output of the captured layer (no autograd history).</param>
/// <param name="Gradients">N×C×h×w ∂y_c/∂A for each photo's class, when the method needs gradients.</param>
/// <param name="ClassIndices">N class indices (int64), one per photo.</param>
/// <param name="Head">The linear head after the layer, when the method needs it.</param>
/// <param name="Forwards">Extra forward passes, when the method needs them.</param>
/// <param name="HessianVectorProduct">N×C×h×w H·A, H = ∂²y_c/∂A², when a method needs it (<see cref="MethodRequirements.HessianVectorProduct"/>).</param>
/// <param name="FullGradients">The gradients at the input and every biased layer, when a method needs them (<see cref="MethodRequirements.BiasGradients"/>).</param>
/// <param name="Attention">Each attention block's score gradient at its attention probabilities, when a method needs them (<see cref="MethodRequirements.AttentionGradients"/>).</param>
public sealed record CamInputs(Tensor Activations, Tensor? Gradients, Tensor ClassIndices, LinearHead? Head, ExtraForwards? Forwards = null,
    Tensor? HessianVectorProduct = null, FullGradients? FullGradients = null, AttentionGradients? Attention = null)
{
    /// <summary>H·A, or an error naming <paramref name="method"/>.</summary>
    public Tensor RequireHessianVectorProduct(string method) =>
        HessianVectorProduct ?? throw new InvalidOperationException($"{method} needs a Hessian-vector product, but none was computed.");

    /// <summary>The input and bias gradients, or an error naming <paramref name="method"/>.</summary>
    public FullGradients RequireFullGradients(string method) =>
        FullGradients ?? throw new InvalidOperationException($"{method} needs the gradients at the input and every biased layer, but none were computed.");

    /// <summary>The extra forward passes, or an error naming <paramref name="method"/>.</summary>
    public ExtraForwards RequireForwards(string method) =>
        Forwards ?? throw new InvalidOperationException($"{method} needs extra forward passes, but none were provided.");

    /// <summary>The gradients, or an error naming <paramref name="method"/>.</summary>
    public Tensor RequireGradients(string method) =>
        Gradients ?? throw new InvalidOperationException($"{method} needs gradients, but none were computed.");

    /// <summary>The linear head, or an error naming <paramref name="method"/>.</summary>
    public LinearHead RequireHead(string method) =>
        Head ?? throw new InvalidOperationException($"{method} needs the linear head after the layer, but there is none.");
}
