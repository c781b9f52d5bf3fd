using CamStudio.Engine.Imaging;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>A classifier whose intermediate tensors can be captured for class activation mapping.</summary>
/// <remarks>
/// Implementations: <c>ModuleCamModel</c> (TorchSharp modules, captured with forward hooks) and
/// <c>OnnxCamModel</c> (an imported ONNX graph, where every graph tensor is capturable by name).
/// All members that touch tensors must be called on the torch thread (see <c>TorchExecutor</c>).
/// </remarks>
public interface ICamModel : IDisposable
{
    /// <summary>Display name, e.g. the manifest name or the architecture.</summary>
    string Name { get; }

    /// <summary>How photos become input tensors for this model.</summary>
    PreprocessingSpec Preprocessing { get; }

    /// <summary>Class names in output order (length = number of classes); generated names when none are known.</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>The device the model lives on.</summary>
    Device Device { get; }

    /// <summary>Capturable layers in execution order, with their output shapes for a batch of one.</summary>
    IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>
    /// The layer chosen by <c>--layer auto</c>: the last layer whose output is spatial (4-D, H×W &gt; 1)
    /// and that feeds the global pooling in front of the classifier.
    /// </summary>
    string AutoLayer { get; }

    /// <summary>Why <see cref="AutoLayer"/> is the automatic choice, in words for users (the studio's layer caption, <c>camstudio layers</c>).</summary>
    string AutoLayerRule => "the last layer, in execution order, whose output is a spatial map (N×C×H×W with H×W > 1), i.e. the last feature map before global pooling";

    /// <summary>
    /// When <paramref name="layer"/> is followed only by global average pooling and one linear layer
    /// (the architecture the classic CAM needs), that linear layer; otherwise null.
    /// </summary>
    LinearHead? HeadAfter(string layer);

    /// <summary>What the model can do for CAM methods (gradients, layer-output replacement).</summary>
    ModelCapabilities Capabilities { get; }

    /// <summary>
    /// Runs a forward pass on <paramref name="input"/> (N×3×H×W on <see cref="Device"/>) and captures the
    /// output of <paramref name="layer"/>. With <paramref name="trackGradients"/>, autograd records the graph
    /// from the captured activation to the logits only (parameters and input never require grad), so
    /// <c>torch.autograd.grad(score, run.Activation)</c> costs a partial backward.
    /// </summary>
    ModelRun Run(Tensor input, string layer, bool trackGradients);

    /// <summary>
    /// The largest batch <see cref="Run"/> takes with gradients: 1 for a graph that runs one photo at a time (e.g. an
    /// ONNX export with a fixed batch of 1), whose batches the explainer then slices.
    /// </summary>
    int MaxBatchSize => int.MaxValue;
}

/// <summary>One capturable tensor of a model.</summary>
/// <param name="Name">Module path (TorchSharp) or tensor name (ONNX).</param>
/// <param name="Shape">Output shape for a batch of one.</param>
/// <param name="Kind">Module type or ONNX operator that produced it.</param>
public sealed record LayerInfo(string Name, long[] Shape, string Kind)
{
    /// <summary>Raw 4-D output with H×W &gt; 1 (an N×C×H×W reading of it; a channels-last grid is 4-D too, see <see cref="Grid"/>).</summary>
    public bool IsSpatial => Shape.Length == 4 && Shape[2] * Shape[3] > 1;

    public string ShapeText => string.Join("×", Shape);

    /// <summary>When the layer is a transformer's token grid (<see cref="TokenGrid.Rule"/>), how it becomes a map; else null.</summary>
    public TokenGrid? Grid { get; init; }

    /// <summary>The N×C×H×W shape every CAM method sees: <see cref="Shape"/>, or the token grid's map shape.</summary>
    public long[] MapShape => Grid?.MapShape(Shape) ?? Shape;

    /// <summary>Whether CAM methods can read the layer: a 4-D map, or a token grid reshaped to one.</summary>
    public bool IsMap => Grid is not null || Shape.Length == 4;

    /// <summary>Channels of the map methods see (0 when the layer is no map).</summary>
    public long Channels => IsMap ? MapShape[1] : 0;

    /// <summary>
    /// The module scope the layer belongs to, e.g. <c>encoder.layers.encoder_layer_11.ln_1</c> or <c>layer4.2</c> (from
    /// the exporter's node names), or <c>block 17</c> for graphs without scopes; null when none is known.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>
    /// The group pickers list the layer under: its scope (or, for module layers, its path) without the last module —
    /// <c>encoder.layers.encoder_layer_11</c> for <c>….ln_1</c>, <c>layer4.2</c> for <c>layer4.2.relu_2</c>, <c>block 17</c>.
    /// </summary>
    public string Group => (Scope ?? Name) is var path && path.LastIndexOf('.') is var dot and > 0 ? path[..dot] : Scope ?? Name;

    /// <summary>The operator in lower case for listings (<c>conv</c>, <c>layernorm</c>, <c>relu</c>; quantised ops as their float op).</summary>
    public string Operator =>
        (Kind.StartsWith("QLinear", StringComparison.Ordinal) && Kind.Length > 7 ? Kind[7..] : Kind)
        .Replace("Normalization", "Norm", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>
    /// The readable name: <c>scope · operator · shape</c> (<c>encoder.layers.encoder_layer_11.ln_1 · layernormalization · 768×14×14</c>),
    /// with the shape of the map methods see (channels × H × W); <see cref="Name"/> stays the exact name for requests.
    /// </summary>
    public string DisplayName => string.Join(" · ", new[] { Scope ?? Name, Operator, string.Join("×", MapShape.Skip(1)) });

    /// <summary>Whether <paramref name="query"/> (case-insensitive) occurs in the raw name, the display name or the kind: the pickers' search.</summary>
    public bool Matches(string? query) =>
        string.IsNullOrWhiteSpace(query)
        || Name.Contains(query.Trim(), StringComparison.OrdinalIgnoreCase)
        || DisplayName.Contains(query.Trim(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>The final linear layer after global average pooling: logits = Weight · gap(A) + Bias.</summary>
/// <param name="Weight">classes × channels (owned by the model; do not dispose).</param>
/// <param name="Bias">classes, or null.</param>
public sealed record LinearHead(Tensor Weight, Tensor? Bias);

/// <summary>The result of one forward pass: logits and the captured activation. Disposing frees both.</summary>
public sealed class ModelRun : IDisposable
{
    public ModelRun(Tensor logits, Tensor activation, Tensor? input = null, IReadOnlyList<BiasTerm>? biasTerms = null)
    {
        Logits = logits;
        Activation = activation;
        Input = input;
        BiasTerms = biasTerms ?? [];
    }

    /// <summary>N × classes, before softmax.</summary>
    public Tensor Logits { get; }

    /// <summary>N × C × h × w output of the captured layer (requires grad when the run tracks gradients).</summary>
    public Tensor Activation { get; }

    /// <summary>The input, requiring grad, when the run records from the input (<see cref="IBiasGradientModel"/>); else null.</summary>
    public Tensor? Input { get; }

    /// <summary>Every biased layer, when the run records from the input (<see cref="IBiasGradientModel"/>); else empty.</summary>
    public IReadOnlyList<BiasTerm> BiasTerms { get; }

    public void Dispose()
    {
        Logits.Dispose();
        Activation.Dispose();
        Input?.Dispose();
        foreach (BiasTerm term in BiasTerms)
        {
            term.Output.Dispose();
            term.Bias.Dispose();
        }
    }
}
