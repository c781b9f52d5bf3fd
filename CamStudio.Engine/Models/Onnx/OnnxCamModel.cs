using CamStudio.Engine.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// An imported ONNX classifier (float or int8, QOperator or QDQ form) as an <see cref="ICamModel"/>: every runtime tensor of
/// the graph is a layer named by its ONNX tensor name, and Grad-CAM-style methods get real autograd through the graph.
/// </summary>
/// <remarks>
/// Entry point: <see cref="Load"/>. The constructor probes the graph once with a batch of one to learn every tensor's shape,
/// choose <see cref="AutoLayer"/> and find (and numerically verify) a GAP → linear classifier head.
/// </remarks>
public sealed partial class OnnxCamModel : ICamModel, ILayerOutputReplacement, IWeightRandomisation, IAttentionBlocksModel
{
    private static readonly HashSet<string> PassThroughOps = ["Flatten", "Reshape", "Squeeze", "Unsqueeze", "QuantizeLinear", "DequantizeLinear", "Identity", "Dropout", "Cast"];

    private readonly OnnxGraphModule _graph;
    private readonly Dictionary<string, LayerInfo> _layersByName;
    private readonly Dictionary<string, LinearHead?> _heads = new();
    private readonly List<Tensor> _headTensors = new();
    private readonly OnnxAttentionBlocks? _attention;

    private OnnxCamModel(OnnxGraphModule graph, string name, PreprocessingSpec spec, IReadOnlyList<string>? labels, OnnxImportOptions options)
    {
        _graph = graph;
        Name = name;
        Preprocessing = spec;
        ValidateDeclaredInput(spec);
        if (graph.LogitsUnclear is { } unclear)
            throw new OnnxImportException(unclear);

        var shapes = new Dictionary<string, long[]>();
        using (var scope = NewDisposeScope())
        using (torch.no_grad())
        {
            Tensor probe = ProbeInput(spec, graph.Device);
            using GraphRun run = graph.Execute(probe, capture: null, gradientsFromCapture: false, observe: (n, t) => shapes[n] = t.shape,
                budget: new OnnxMemoryBudget(options.ProbeMemoryBytes));
            ClassCount = LogitsOf(run.Output).shape[1];
            MaxBatchSize = OnnxBatchProbe.MaxBatchSize(graph, probe, options.ProbeMemoryBytes);
        }
        Dictionary<string, string> scopes = OnnxLayerScopes.Of(graph, shapes);
        Layers = graph.TensorsInOrder.Where(t => shapes.ContainsKey(t.Tensor))
            .Select(t => new LayerInfo(t.Tensor, shapes[t.Tensor], t.OpType)
            {
                Grid = t.OpType == "Input" ? null : TokenGrid.Detect(shapes[t.Tensor], spec.InputHeight, spec.InputWidth),
                Scope = scopes.GetValueOrDefault(t.Tensor),
            })
            .ToList();
        _layersByName = Layers.ToDictionary(l => l.Name);

        if (labels is null)
            Labels = Enumerable.Range(0, (int)ClassCount).Select(i => $"class {i}").ToList();
        else if (labels.Count != ClassCount)
            throw new OnnxImportException($"{graph.FileName} outputs {ClassCount} classes but {labels.Count} labels were given.");
        else
            Labels = labels;

        (AutoLayer, AutoLayerRule) = ChooseAutoLayer();
        (_attention, AttentionBlocksUnavailable) = OnnxAttentionBlocks.Find(graph, shapes, _layersByName);
    }

    /// <summary>
    /// Imports an .onnx classifier. <paramref name="labels"/>: class names in output order (null: "class 0", "class 1", ...);
    /// <paramref name="spec"/>: the photo preprocessing the model expects (its size must match a fixed input size in the graph);
    /// <paramref name="name"/>: display name (default: the file name without extension);
    /// <paramref name="sizeFromModel"/>: when the graph fixes its input's height and width (see <see cref="OnnxInputSize"/>), use
    /// them instead of the spec's size (no size was given, so the model's own applies; with dynamic H and W the spec's stays).
    /// Throws <see cref="OnnxImportException"/> with a message naming the file for anything it cannot import.
    /// </summary>
    public static OnnxCamModel Load(string path, IReadOnlyList<string>? labels, PreprocessingSpec spec, Device device, string? name = null,
        OnnxImportOptions? options = null, bool sizeFromModel = false)
    {
        OnnxGraphModule graph = OnnxGraphModule.Load(path, device, options);
        if (sizeFromModel && OnnxInputSize.Declared(graph.Input) is { } own)
            spec = spec with { InputWidth = own.Width, InputHeight = own.Height };
        try
        {
            return new OnnxCamModel(graph, name ?? Path.GetFileNameWithoutExtension(path), spec, labels, options ?? OnnxImportOptions.Default);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    /// <summary>The imported graph as a TorchSharp module (forward: input → logits).</summary>
    public OnnxGraphModule Graph => _graph;

    public string Name { get; }

    public PreprocessingSpec Preprocessing { get; }

    public IReadOnlyList<string> Labels { get; }

    public Device Device => _graph.Device;

    public IReadOnlyList<LayerInfo> Layers { get; }

    public string AutoLayer { get; }

    public string AutoLayerRule { get; }

    public long ClassCount { get; }

    /// <summary>1 when the graph runs one photo at a time (see <see cref="OnnxBatchProbe"/>); the explainer then slices its batches.</summary>
    public int MaxBatchSize { get; }

    /// <summary>Autograd through the graph (quantised tensors hold their real values), and any tensor's value substituted.</summary>
    public ModelCapabilities Capabilities => ModelCapabilities.Gradients | ModelCapabilities.LayerOutputReplacement
        | (_attention is null ? ModelCapabilities.None : ModelCapabilities.AttentionBlocks);

    /// <summary>Why LeGrad cannot score this graph's attention blocks (see <see cref="OnnxAttentionBlocks"/>), or null.</summary>
    public string? AttentionBlocksUnavailable { get; }

    public AttentionBlocksRun RunAttentionBlocks(Tensor input)
    {
        OnnxAttentionBlocks attention = _attention ?? throw new InvalidOperationException($"{Name}: {AttentionBlocksUnavailable}");
        ValidateInput(input);
        if (input.shape[0] > MaxBatchSize)
            throw new ArgumentException($"{Name} runs {MaxBatchSize} photo(s) at a time, got a batch of {input.shape[0]}.", nameof(input));
        return attention.Run(_graph, input, LogitsOf);
    }

    public LinearHead? HeadAfter(string layer)
    {
        RequireLayer(layer);
        if (!_heads.TryGetValue(layer, out LinearHead? head))
        {
            head = FindHead(layer);
            _heads[layer] = head;
        }
        return head;
    }

    public ModelRun Run(Tensor input, string layer, bool trackGradients)
    {
        RequireLayer(layer);
        if (input.dim() == 4 && input.shape[0] > MaxBatchSize)
            return RunPhotoByPhoto(input, layer, trackGradients);
        ValidateInput(input);
        using var scope = NewDisposeScope();
        using IDisposable mode = trackGradients ? torch.enable_grad() : torch.no_grad();
        using GraphRun run = _graph.Execute(input, layer, trackGradients, captureGrid: _layersByName[layer].Grid);
        Tensor logits = LogitsOf(run.Output);
        return new ModelRun(logits.alias().MoveToOuterDisposeScope(), run.Captured!.alias().MoveToOuterDisposeScope());
    }

    /// <summary>A batch-1-only graph on several inputs (the extra forwards of Score-CAM): one run each, concatenated.</summary>
    private ModelRun RunPhotoByPhoto(Tensor input, string layer, bool trackGradients)
    {
        if (trackGradients)
            throw new ArgumentException($"{Name} runs one photo at a time, so gradients are tracked for a batch of 1, not {input.shape[0]}.", nameof(input));
        using var scope = NewDisposeScope();
        var logits = new List<Tensor>();
        var activations = new List<Tensor>();
        for (long i = 0; i < input.shape[0]; i++)
        {
            using ModelRun one = Run(input.narrow(0, i, 1), layer, trackGradients: false);
            logits.Add(one.Logits.alias());
            activations.Add(one.Activation.alias());
        }
        return new ModelRun(torch.cat(logits, 0).MoveToOuterDisposeScope(), torch.cat(activations, 0).MoveToOuterDisposeScope());
    }

    /// <summary>Logits with graph tensor <paramref name="layer"/> given as <paramref name="output"/> instead of computed; no gradients.</summary>
    public Tensor LogitsWithLayerOutput(Tensor input, string layer, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        RequireLayer(layer);
        if (input.dim() == 4 && input.shape[0] > MaxBatchSize && output.dim() >= 1 && output.shape[0] == input.shape[0])
            return LogitsWithLayerOutputPhotoByPhoto(input, layer, output);
        ValidateInput(input);
        LayerInfo info = _layersByName[layer];
        long[] own = info.MapShape;
        // Checked here, before native code sees it: the graph's kernels assume the layer's own shape.
        if (output.dim() != own.Length || output.shape[0] != input.shape[0] || !output.shape.Skip(1).SequenceEqual(own.Skip(1)))
            throw new ArgumentException($"Layer '{layer}' of {Name} outputs N×{string.Join("×", own.Skip(1))}, so it cannot be replaced by " +
                $"{string.Join("×", output.shape)} for a batch of {input.shape[0]}.", nameof(output));
        using var scope = NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        Tensor replacement = output;
        if (info.Grid is { } grid)
        {
            // The map holds only the patches: the extra tokens (class token) keep the values the photos give them.
            Tensor? raw = null;
            if (grid.ExtraTokens > 0)
            {
                using GraphRun until = _graph.Execute(input, layer, gradientsFromCapture: false, stopAfterCapture: true);
                raw = until.Captured!.alias();
            }
            replacement = grid.FromMap(output, raw!);
        }
        using GraphRun run = _graph.Execute(input, capture: null, gradientsFromCapture: false, replacement: (layer, replacement));
        return LogitsOf(run.Output).alias().MoveToOuterDisposeScope();
    }

    /// <summary>A batch-1-only graph with a replaced layer (Ablation-CAM's copies): one run each, concatenated.</summary>
    private Tensor LogitsWithLayerOutputPhotoByPhoto(Tensor input, string layer, Tensor output)
    {
        using var scope = NewDisposeScope();
        var logits = new List<Tensor>();
        for (long i = 0; i < input.shape[0]; i++)
            logits.Add(LogitsWithLayerOutput(input.narrow(0, i, 1), layer, output.narrow(0, i, 1)));
        return torch.cat(logits, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Nodes (execution order) computing with a floating weight of rank ≥ 2 (dequantised int8 weights included).</summary>
    public int WeightGroupCount => _graph.Nodes.Count(n => n.Weights.Count > 0);

    public IDisposable RandomiseFromOutput(int count, ulong seed) =>
        WeightRandomiser.FromOutput(_graph.Nodes.Where(n => n.Weights.Count > 0).Select(n => n.Weights).ToList(), count, seed);

    public void Dispose()
    {
        foreach (Tensor t in _headTensors)
            t.Dispose();
        _headTensors.Clear();
        _graph.Dispose();
    }

    private static Tensor LogitsOf(Tensor output) => output.dim() == 2 ? output : output.reshape(output.shape[0], -1);

    /// <summary>A fixed, smooth, non-trivial probe image (no global RNG touched).</summary>
    private static Tensor ProbeInput(PreprocessingSpec spec, Device device)
    {
        Tensor ramp = torch.linspace(-2, 2, spec.InputHeight * spec.InputWidth * 3L, device: device);
        return ramp.mul(3.7).sin().mul(1.5).reshape(1, 3, spec.InputHeight, spec.InputWidth);
    }

    private void ValidateDeclaredInput(PreprocessingSpec spec)
    {
        long?[] declared = _graph.Input.Shape;
        if (declared.Length == 0)
            return;
        long?[] wanted = [null, 3, spec.InputHeight, spec.InputWidth];
        bool fits = declared.Length == 4 && declared.Zip(wanted).All(p => p.First is null || p.Second is null || p.First == p.Second);
        if (!fits)
            throw new OnnxImportException($"{_graph.FileName} takes input '{_graph.Input.Name}' of shape {DeclaredText(declared)}, " +
                $"which does not fit N×3×{spec.InputHeight}×{spec.InputWidth} photos" +
                (OnnxInputSize.Declared(_graph.Input) is { } own && declared[1] is null or 3 ? $": {OnnxInputSize.Advice(own)}." : " (check the model's preprocessing size)."));
    }

    private void ValidateInput(Tensor input)
    {
        long?[] declared = _graph.Input.Shape.Length == 4 ? _graph.Input.Shape : [null, 3, null, null];
        bool fits = input.dim() == 4 && input.shape[1] == 3 && input.shape.Zip(declared).All(p => p.Second is null || p.First == p.Second)
            && input.is_floating_point();
        if (!fits)
            throw new ArgumentException($"{Name} expects a float input of shape N×3×{DeclaredText(declared[2..])} (graph input '{_graph.Input.Name}' " +
                $"{DeclaredText(_graph.Input.Shape)}), got {(input.is_floating_point() ? "" : input.dtype + " ")}{string.Join("×", input.shape)}.", nameof(input));
    }

    private static string DeclaredText(long?[] shape) => shape.Length == 0 ? "(unknown)" : string.Join("×", shape.Select(d => d?.ToString() ?? "N"));

    private void RequireLayer(string layer)
    {
        if (!_layersByName.ContainsKey(layer))
            throw new ArgumentException($"{Name} has no layer '{layer}' (its layers are the graph's tensor names, e.g. '{AutoLayer}').", nameof(layer));
    }

    // ---- the auto layer and the classifier head --------------------------------------------------------------

    /// <summary>Global average pooling over H and W of a 4-D tensor: the nodes a CAM head starts from.</summary>
    private bool IsGlobalAveragePool(OnnxGraphNode node)
    {
        if (node.OpType is "GlobalAveragePool" or "QLinearGlobalAveragePool")
            return true;
        if (node.OpType != "ReduceMean" || !_layersByName.TryGetValue(node.Inputs[0], out LayerInfo? input) || input.Shape.Length != 4)
            return false;
        // Axes are an attribute before opset 18 and an input after. Judging by shapes alone is ambiguous when C or H×W is 1:
        // ConvNeXt's opset-13 classifier LayerNorm takes the mean over the last axis of the pooled 1×1×1×768 tensor.
        long[]? axes = node.Inputs.Length > 1 && _graph.ConstantOf(node.Inputs[1]) is { } t ? OnnxNodeContext.Longs(t)
            : node.Proto?.Attribute.FirstOrDefault(a => a.Name == "axes")?.Ints.ToArray();
        if (axes is not null)
            return axes.Select(a => a < 0 ? a + 4 : a).OrderBy(a => a).SequenceEqual([2L, 3L]);
        if (node.Inputs.Length < 2 || node.Inputs[1].Length == 0)
            return false;   // no axes: a mean over every axis, not per channel
        // Axes computed at run time: a ReduceMean that keeps N and C (> 1) and drops H, W to 1 is a GAP.
        return input.Shape[1] > 1 && _layersByName.TryGetValue(node.Outputs[0], out LayerInfo? output)
            && output.Shape.Length >= 2 && output.Shape[1] == input.Shape[1] && output.Shape.Skip(2).All(d => d == 1)
            && output.Shape.Aggregate(1L, (p, d) => p * d) == input.Shape[0] * input.Shape[1];
    }

    private const string TransformerRule =
        "the first norm of the last attention block (the last token-grid norm before the last attention softmax), as pytorch-grad-cam " +
        "advises for ViT (blocks[-1].norm1) and Swin (layers[-1].blocks[-1].norm1): later norms feed only the class token's own " +
        "path or per-token layers, so their patch tokens get no gradient";

    private const string PoolRule = "the input of the last global average pool (the last feature map before the classifier)";

    private const string LastSpatialRule = "the last spatial (N×C×H×W) tensor of the graph";

    private (string Layer, string Rule) ChooseAutoLayer()
    {
        if (TransformerAutoLayer() is { } norm)
            return (norm, TransformerRule);
        string? pooled = _graph.Nodes.Where(IsGlobalAveragePool).Select(n => n.Inputs[0])
            .LastOrDefault(t => _layersByName.TryGetValue(t, out LayerInfo? l) && l.IsSpatial);
        if (pooled is not null)
            return (pooled, PoolRule);
        LayerInfo? spatial = Layers.LastOrDefault(l => l.IsSpatial || l.Grid is not null);
        return (spatial?.Name ?? throw new OnnxImportException($"{_graph.FileName} has no spatial (N×C×H×W) tensor or token grid to explain."),
            LastSpatialRule);
    }

    /// <summary>
    /// The first token-grid norm of the last attention block: the block is the deepest module scope around the last
    /// attention softmax (a Softmax over a ≥ 3-D tensor) that holds a token-grid norm, its first norm in execution order
    /// (pre-norm ViT and Swin: norm1 before attention; post-norm Swin v2: norm1 after it). Without scopes: the last
    /// token-grid norm before that softmax. Null when the graph has no attention.
    /// </summary>
    private string? TransformerAutoLayer()
    {
        OnnxGraphNode? attention = _graph.Nodes.LastOrDefault(n => n.OpType == "Softmax"
            && _layersByName.TryGetValue(n.Inputs[0], out LayerInfo? scores) && scores.Shape.Length >= 3);
        if (attention is null)
            return null;
        var producers = _graph.Nodes.SelectMany(n => n.Outputs.Where(o => o.Length > 0).Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        var norms = Layers.Where(l => l.Grid is not null && producers.TryGetValue(l.Name, out OnnxGraphNode? node) && IsNorm(node, producers)).ToList();
        for (string? block = OnnxLayerScopes.ModulePath(attention.Name); !string.IsNullOrEmpty(block); block = Parent(block))
        {
            // The norm module's last tensor: a decomposed LayerNorm's Div, Mul and Add are all norm outputs of one scope.
            if (norms.FirstOrDefault(l => l.Scope is { } s && s.StartsWith(block + ".", StringComparison.Ordinal)) is { } first)
                return norms.Last(l => l.Scope == first.Scope).Name;
        }
        int before = Layers.ToList().FindIndex(l => l.Name == attention.Outputs[0]);
        return norms.LastOrDefault(l => Layers.ToList().IndexOf(l) < before)?.Name;

        static string? Parent(string scope) => scope.LastIndexOf('.') is var dot and > 0 ? scope[..dot] : null;
    }

    /// <summary>
    /// LayerNormalization, or its opset &lt; 17 decomposition ending (x − mean) / Sqrt(var + ε) [· γ [+ β]].
    /// </summary>
    private static bool IsNorm(OnnxGraphNode node, Dictionary<string, OnnxGraphNode> producers)
    {
        if (node.OpType is "LayerNormalization" or "SimplifiedLayerNormalization" or "SkipLayerNormalization")
            return true;
        OnnxGraphNode? current = node;
        foreach (string affine in new[] { "Add", "Mul" })
        {
            if (current?.OpType == affine)
                current = current.Inputs.Select(i => producers.GetValueOrDefault(i)).FirstOrDefault(p => p is not null && p.OpType is "Mul" or "Div");
        }
        return current?.OpType == "Div" && current.Inputs.Length == 2 && producers.GetValueOrDefault(current.Inputs[1])?.OpType == "Sqrt";
    }

    /// <summary>Nodes that read <paramref name="tensor"/> for its values (Shape nodes, and ops feeding only Shape, do not count).</summary>
    private List<OnnxGraphNode> ValueConsumers(string tensor) =>
        _graph.Nodes.Where(n => n.Inputs.Contains(tensor) && !FeedsOnlyShape(n))
            .Where(n => !(n.OpType == "Reshape" && n.Inputs[0] != tensor))
            .ToList();

    private bool FeedsOnlyShape(OnnxGraphNode node) =>
        node.OpType == "Shape"
        || PassThroughOps.Contains(node.OpType) && node.Outputs.All(o => !_graph.Outputs.Contains(o)
            && _graph.Nodes.Where(n => n.Inputs.Contains(o)).All(FeedsOnlyShape));

    private OnnxGraphNode? SingleConsumer(string tensor) => ValueConsumers(tensor) is [var only] ? only : null;

    private LinearHead? FindHead(string layer)
    {
        if (!_layersByName[layer].IsSpatial || _layersByName[layer].Grid is not null || SingleConsumer(layer) is not { } pool || !IsGlobalAveragePool(pool) || pool.Inputs[0] != layer)
            return null;
        string current = pool.Outputs[0];
        OnnxGraphNode? next = SingleConsumer(current);
        while (next is not null && PassThroughOps.Contains(next.OpType) && next.Inputs[0] == current)
        {
            current = next.Outputs[0];
            next = SingleConsumer(current);
        }
        if (next is null || next.Inputs[0] != current)
            return null;
        using var scope = NewDisposeScope();
        Tensor? weight = LinearWeight(next);
        if (weight is null)
            return null;
        Tensor? bias = next.OpType == "Gemm" ? GemmBias(next) : null;
        current = next.Outputs[0];
        next = SingleConsumer(current);
        if (bias is null && next is not null && AddedBias(next, current) is { } added)
        {
            bias = added;
            current = next.Outputs[0];
            next = SingleConsumer(current);
        }
        while (next is not null && PassThroughOps.Contains(next.OpType) && next.Inputs[0] == current)
        {
            current = next.Outputs[0];
            next = SingleConsumer(current);
        }
        if (current != _graph.Outputs[0] || next is not null)
            return null;
        if (weight.dim() != 2 || weight.shape[0] != ClassCount || weight.shape[1] != _layersByName[layer].Shape[1]
            || bias is not null && bias.numel() != ClassCount)
            return null;
        bias = bias?.reshape(ClassCount);
        if (!HeadReproducesLogits(layer, weight, bias))
            return null;
        // Owned by the model (disposed with it), not by whatever dispose scope the first caller happened to be in.
        Tensor w = weight.contiguous().DetachFromDisposeScope();
        Tensor? b = bias?.contiguous().DetachFromDisposeScope();
        _headTensors.Add(w);
        if (b is not null)
            _headTensors.Add(b);
        return new LinearHead(w, b);
    }

    /// <summary>classes × channels weight of a Gemm / MatMul / QLinearMatMul whose other operand is a constant.</summary>
    private Tensor? LinearWeight(OnnxGraphNode node)
    {
        Tensor? Constant(int i) => i < node.Inputs.Length && node.Inputs[i].Length > 0 ? _graph.ConstantOf(node.Inputs[i]) : null;
        switch (node.OpType)
        {
            case "MatMul" when Constant(1) is { } b:
                return b.t();
            case "Gemm" when Constant(1) is { } b && !GemmFlag(node, "transA"):
                {
                    Tensor w = GemmFlag(node, "transB") ? b : b.t();
                    float alpha = GemmAttribute(node, "alpha", 1f);
                    return alpha == 1 ? w : w * alpha;
                }
            case "QLinearMatMul" when Constant(3) is { } q && Constant(4) is { } scale:
                return QuantizedOperators.Real(q, scale, Constant(5), axis: -1).t();
            default:
                return null;
        }
    }

    private Tensor? GemmBias(OnnxGraphNode node)
    {
        if (node.Inputs.Length < 3 || node.Inputs[2].Length == 0)
            return null;
        Tensor? c = _graph.ConstantOf(node.Inputs[2]);
        float beta = GemmAttribute(node, "beta", 1f);
        return c is null ? null : beta == 1 ? c : c * beta;
    }

    private Tensor? AddedBias(OnnxGraphNode node, string from)
    {
        Tensor? Constant(int i) => i < node.Inputs.Length && node.Inputs[i].Length > 0 ? _graph.ConstantOf(node.Inputs[i]) : null;
        if (node.OpType == "Add" && node.Inputs.Length == 2)
            return Constant(node.Inputs[0] == from ? 1 : 0);
        if (node.OpType == "QLinearAdd" && node.Inputs[0] == from && Constant(3) is { } q && Constant(4) is { } scale)
            return QuantizedOperators.Real(q, scale, Constant(5));
        return null;
    }

    private bool GemmFlag(OnnxGraphNode node, string name) => GemmAttribute(node, name, 0f) != 0;

    private float GemmAttribute(OnnxGraphNode node, string name, float fallback) =>
        node.Attributes.TryGetValue(name, out float value) ? value : fallback;

    /// <summary>Checks logits ≈ W·GAP(A) + b on the probe image, so a head is only reported when it is really the model's.</summary>
    private bool HeadReproducesLogits(string layer, Tensor weight, Tensor? bias)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        using GraphRun run = _graph.Execute(ProbeInput(Preprocessing, Device), layer, gradientsFromCapture: false);
        Tensor logits = LogitsOf(run.Output);
        Tensor pooled = run.Captured!.mean([2, 3]);
        if (weight.dim() != 2 || pooled.shape[1] != weight.shape[1])
            return false; // a matmul of mismatched shapes would abort the process
        Tensor expected = pooled.matmul(weight.t());
        if (bias is not null)
            expected = expected + bias;
        double error = (expected - logits).abs().max().item<float>();
        double scale = Math.Max(1.0, logits.abs().max().item<float>());
        return error <= 1e-3 * scale;
    }
}
