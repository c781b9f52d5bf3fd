using Google.Protobuf;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>One executable node of an imported graph, in execution order.</summary>
/// <param name="Inputs">Tensor names, "" where an optional input is absent.</param>
/// <param name="Attributes">The node's numeric (int and float) attributes, for analyses after load.</param>
internal sealed record OnnxGraphNode(string Name, string OpType, string[] Inputs, string[] Outputs, OnnxKernel Kernel,
    IReadOnlyDictionary<string, float> Attributes, NodeProto? Proto = null)
{
    /// <summary>Floating-point weights of rank ≥ 2 the node computes with (constant inputs and tensors its builder precomputed), for the randomisation sanity check.</summary>
    public IReadOnlyList<Tensor> Weights { get; init; } = [];
}

/// <summary>The graph's declared input: name and shape, with null for symbolic dimensions such as batch_size.</summary>
public sealed record OnnxGraphInput(string Name, long?[] Shape);

/// <summary>
/// An ONNX graph as a TorchSharp module: nodes execute in topological order as differentiable TorchSharp ops, so autograd
/// works through the imported model, and any named tensor of the graph can be captured on the way.
/// </summary>
/// <remarks>
/// Weights (initializers, Constant nodes, subgraphs that depend only on them, and dequantised quantised weights) are
/// evaluated once at load and never require grad. Every runtime tensor is a float32 real value, even where the ONNX graph
/// holds it quantised (see <see cref="QuantizedOperators"/>); shape computations stay int64.
/// </remarks>
public sealed class OnnxGraphModule : nn.Module<Tensor, Tensor>
{
    private readonly IReadOnlyList<OnnxGraphNode> _nodes;
    private readonly Dictionary<string, Tensor> _constants;
    private readonly List<Tensor> _owned;
    private readonly Dictionary<string, int> _lastUse;
    private readonly Dictionary<string, string> _producers;
    private readonly OnnxShapeMemo? _shapeMemo;

    /// <summary>Per node: the inputs no later node reads.</summary>
    private readonly string[][] _freedAfter;

    private OnnxGraphModule(string file, OnnxGraphInput input, IReadOnlyList<string> outputs, IReadOnlyList<OnnxGraphNode> nodes,
        Dictionary<string, Tensor> constants, List<Tensor> owned, int opset, Device device, bool reuseShapeArithmetic) : base(Path.GetFileNameWithoutExtension(file))
    {
        FileName = file;
        Input = input;
        Outputs = outputs;
        _nodes = nodes;
        _constants = constants;
        _owned = owned;
        Opset = opset;
        Device = device;
        _producers = nodes.SelectMany(n => n.Outputs.Select(o => (o, n.OpType))).Where(p => p.o.Length > 0).ToDictionary(p => p.o, p => p.OpType);
        _lastUse = new Dictionary<string, int>();
        for (int i = 0; i < nodes.Count; i++)
            foreach (string used in nodes[i].Inputs.Where(n => n.Length > 0))
                _lastUse[used] = i;
        _shapeMemo = reuseShapeArithmetic ? OnnxShapeMemo.For(nodes, constants.ContainsKey, outputs) : null;
        _freedAfter = nodes.Select((n, i) => n.Inputs.Where(name => name.Length > 0 && _lastUse[name] == i).Distinct().ToArray()).ToArray();
    }

    /// <summary>How many nodes are shape arithmetic whose values later runs reuse (see <see cref="OnnxShapeMemo"/>); 0 when not reused.</summary>
    internal int ShapeArithmeticNodes => _shapeMemo?.NodeCount ?? 0;

    /// <summary>How many nodes the last finished run took from the shape memo (for tests; runs on other threads overwrite it).</summary>
    internal int LastRunReusedNodes { get; private set; }

    /// <summary>The file the graph came from (for messages).</summary>
    public string FileName { get; }

    public OnnxGraphInput Input { get; }

    /// <summary>Graph output names; the first is the model's output (logits), chosen by <see cref="OnnxOutputChoice"/>.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>Why the first output may not be the logits (several outputs, none clearly so), or null; a classifier refuses such a graph.</summary>
    internal string? LogitsUnclear { get; private init; }

    public int Opset { get; }

    public Device Device { get; }

    /// <summary>Runtime tensors in execution order: the graph input first, then every node output, with the op that produced it.</summary>
    public IReadOnlyList<(string Tensor, string OpType)> TensorsInOrder =>
        [(Input.Name, "Input"), .. _nodes.SelectMany(n => n.Outputs.Where(o => o.Length > 0).Select(o => (o, n.OpType)))];

    internal IReadOnlyList<OnnxGraphNode> Nodes => _nodes;

    /// <summary>A tensor known at load time (initializer, constant, or folded), else null. Owned by the module.</summary>
    internal Tensor? ConstantOf(string name) => _constants.GetValueOrDefault(name);

    internal string? ProducerOf(string tensor) => tensor == Input.Name ? "Input" : _producers.GetValueOrDefault(tensor);

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        using GraphRun run = Execute(input, capture: null, gradientsFromCapture: false);
        return run.Output.alias().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Runs the graph on <paramref name="input"/>. With <paramref name="capture"/>, that tensor is returned too; with
    /// <paramref name="gradientsFromCapture"/> it is detached and marked requires_grad when produced, so (under grad mode)
    /// autograd records from it to the outputs only. <paramref name="observe"/> sees every runtime tensor as it is produced.
    /// Tensors are freed as soon as no later node reads them.
    /// </summary>
    /// <remarks>
    /// With <paramref name="replacement"/>, that tensor takes the given value instead of being computed, and the nodes
    /// that only fed it are skipped (what Ablation-CAM needs: the rest of the graph run on a changed layer output).
    /// With <paramref name="budget"/> (the load-time probe), each node is refused before it runs if its outputs would not fit.
    /// With <paramref name="rectified"/>, each Relu/Clip output is replaced by what it returns (guided backpropagation).
    /// </remarks>
    /// <remarks>
    /// With <paramref name="captureGrid"/>, the captured tensor is the layer's token grid as a map (<see cref="TokenGrid.ToMap"/>);
    /// with gradients that map is the autograd leaf and the graph continues from its inverse reshape, so ∂y/∂map is the
    /// gradient at the patch tokens (the extra tokens are constants). <paramref name="stopAfterCapture"/> stops as soon as
    /// the captured tensor exists (the run then has no outputs). Each tensor named in <paramref name="leaves"/> is detached and
    /// marked requires_grad when produced.
    /// </remarks>
    internal GraphRun Execute(Tensor input, string? capture, bool gradientsFromCapture, Action<string, Tensor>? observe = null,
        (string Name, Tensor Value)? replacement = null, OnnxMemoryBudget? budget = null, TokenGrid? captureGrid = null, bool stopAfterCapture = false,
        Func<Tensor, Tensor>? rectified = null, IReadOnlySet<string>? leaves = null)
    {
        bool[]? runs = replacement is { } r ? NodesNeededWith(r.Name) : null;
        var values = new Dictionary<string, Tensor>();
        var keep = new HashSet<string>(Outputs);
        if (capture is not null)
            keep.Add(capture);
        Tensor? captured = null;
        using OnnxShapeMemo.Run? memo = _shapeMemo?.Begin(input.shape);
        using var scope = NewDisposeScope();
        Tensor graphInput = Produced(Input.Name, input.alias());
        values[Input.Name] = graphInput;
        if (replacement is { } given)
            values[given.Name] = Produced(given.Name, given.Value.alias());
        for (int i = 0; i < _nodes.Count; i++)
        {
            if (stopAfterCapture && captured is not null)
                return new GraphRun([], captured.alias().MoveToOuterDisposeScope());
            OnnxGraphNode node = _nodes[i];
            if (runs is not null && !runs[i])
                continue;
            bool reuse = false;
            if (memo is not null && memo.Covers(i))
            {
                reuse = memo.Check(i, memo.ReadsShape(i) ? Argument(node.Inputs.First(n => n.Length > 0)) : null);
                // A reused value only other shape arithmetic reads is not even handed out (most of them, in exports).
                if (reuse && memo.FeedsOnlyShapeArithmetic(i) && observe is null && !node.Outputs.Any(keep.Contains)
                    && (leaves is null || !node.Outputs.Any(leaves.Contains)) && replacement is null)
                    continue;
            }
            var arguments = new Tensor?[node.Inputs.Length];
            if (!reuse)
            {
                for (int j = 0; j < arguments.Length; j++)
                {
                    if (node.Inputs[j].Length > 0)
                        arguments[j] = Argument(node.Inputs[j]);
                }
            }
            Tensor[] results;
            using (var nodeScope = NewDisposeScope())
            {
                try
                {
                    budget?.BeforeNode(node, arguments, values.Values);
                    if (reuse)
                    {
                        results = memo!.Take(i);
                    }
                    else
                    {
                        results = node.Kernel(arguments);
                        memo?.Record(i, results);
                    }
                }
                catch (OnnxShapeException ex)
                {
                    throw new OnnxImportException($"{FileName}: node '{node.Name}' ({node.OpType}): {ex.Message}.", ex);
                }
                catch (Exception ex) when (ex is not OnnxImportException)
                {
                    throw new OnnxImportException($"{FileName}: node '{node.Name}' ({node.OpType}) failed on inputs " +
                        $"{string.Join(", ", arguments.Select(a => a is null ? "-" : "[" + string.Join("×", a.shape) + "]"))}: {DisplayText.NativeMessage(ex)}", ex);
                }
                for (int k = 0; k < results.Length; k++)
                {
                    // A kernel may hand back an input as is; a distinct handle keeps early freeing safe.
                    if (arguments.Any(a => ReferenceEquals(a, results[k])))
                        results[k] = results[k].alias();
                    results[k].MoveToOuterDisposeScope();
                }
            }
            for (int k = 0; k < node.Outputs.Length && k < results.Length; k++)
            {
                if (node.Outputs[k].Length == 0)
                    continue;
                if (replacement is { } replaced && node.Outputs[k] == replaced.Name)
                {
                    // The node ran for another output; the replaced one keeps the given value.
                    results[k].Dispose();
                    continue;
                }
                // Guided backpropagation cuts the graph at every rectifier's output (see RectifierTape).
                if (rectified is not null && k == 0 && IsRectifier(node.OpType))
                    results[k] = rectified(results[k]);
                values[node.Outputs[k]] = Produced(node.Outputs[k], results[k]);
            }
            foreach (string name in _freedAfter[i])
            {
                if (!keep.Contains(name) && values.Remove(name, out Tensor? done))
                    done.Dispose();
            }
        }

        // A value computed, given, reused, or known at load; a reused one first handed out here is kept like any output.
        Tensor Argument(string name)
        {
            if (values.TryGetValue(name, out Tensor? value) || _constants.TryGetValue(name, out value))
                return value;
            value = memo?.Take(name) ?? throw new InvalidOperationException($"{FileName}: tensor '{name}' was not computed.");
            values[name] = value;
            return value;
        }

        Tensor Produced(string name, Tensor value)
        {
            if (name == capture)
            {
                if (gradientsFromCapture && !value.is_floating_point())
                    throw new OnnxImportException($"{FileName}: tensor '{name}' is {value.dtype}, so no gradient can flow from it; pick a float layer.");
                if (captureGrid is not null)
                {
                    Tensor raw = value.detach();
                    Tensor map = captureGrid.ToMap(raw);
                    if (gradientsFromCapture)
                    {
                        map = map.detach().requires_grad_(true);
                        value = captureGrid.FromMap(map, raw);
                    }
                    captured = map;
                }
                else
                {
                    if (gradientsFromCapture)
                        value = value.detach().requires_grad_(true);
                    captured = value;
                }
            }
            // LeGrad's attention probabilities: autograd leaves, so a block's score differentiates to its own attention.
            if (leaves is not null && leaves.Contains(name) && value.is_floating_point())
                value = value.detach().requires_grad_(true);
            observe?.Invoke(name, value);
            return value;
        }

        LastRunReusedNodes = memo?.Reused ?? 0;
        if (stopAfterCapture && captured is not null)
            return new GraphRun([], captured.alias().MoveToOuterDisposeScope());
        if (capture is not null && captured is null)
            throw new OnnxImportException($"{FileName} has no tensor named '{capture}'.");
        Tensor[] outputs = Outputs.Select(o => values.GetValueOrDefault(o) ?? _constants[o]).Select(t => t.alias().MoveToOuterDisposeScope()).ToArray();
        return new GraphRun(outputs, captured?.alias().MoveToOuterDisposeScope());
    }

    /// <summary>Relu and Clip (ReLU6 as exported) are the rectifiers guided backpropagation changes.</summary>
    internal static bool IsRectifier(string opType) => opType is "Relu" or "Clip";

    /// <summary>
    /// Which nodes must run when <paramref name="replaced"/> is given rather than computed: those some graph output
    /// needs other than through the replaced tensor (so the layers before an ablated one are not run for nothing).
    /// </summary>
    private bool[] NodesNeededWith(string replaced)
    {
        var needed = new HashSet<string>(Outputs);
        var runs = new bool[_nodes.Count];
        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            OnnxGraphNode node = _nodes[i];
            if (!node.Outputs.Any(o => o.Length > 0 && o != replaced && needed.Contains(o)))
                continue;
            runs[i] = true;
            foreach (string name in node.Inputs)
            {
                if (name.Length > 0)
                    needed.Add(name);
            }
        }
        return runs;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (Tensor t in _owned)
                t.Dispose();
            _owned.Clear();
            _constants.Clear();
            _shapeMemo?.Dispose();
        }
        base.Dispose(disposing);
    }

    // ---- loading ------------------------------------------------------------------------------------------------

    /// <summary>Reads and compiles an .onnx file; any problem becomes an <see cref="OnnxImportException"/> naming the file.</summary>
    public static OnnxGraphModule Load(string path, Device? device = null, OnnxImportOptions? options = null)
    {
        string file = Path.GetFileName(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"{file}: cannot read the file ({ex.Message}).", ex);
        }
        return Load(bytes, file, device, options);
    }

    public static OnnxGraphModule Load(byte[] bytes, string file, Device? device = null, OnnxImportOptions? options = null)
    {
        if (bytes.Length == 0)
            throw new OnnxImportException($"{file} is empty (0 bytes), not an ONNX model.");
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxImportException($"{file} is not a readable ONNX model (damaged or truncated protobuf: {ex.Message}).", ex);
        }
        return Compile(model, file, device ?? CPU, options ?? OnnxImportOptions.Default);
    }

    public static OnnxGraphModule Compile(ModelProto model, string file, Device device, OnnxImportOptions options)
    {
        GraphProto? graph = model.Graph;
        if (graph is null || graph.Node.Count == 0)
            throw new OnnxImportException($"{file} is not an ONNX model with a graph (no nodes found; is it damaged or another format?).");
        int opset = (int)(model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0);
        if (opset == 0)
            throw new OnnxImportException($"{file} declares no opset for the default ONNX domain.");

        // Every unsupported operator, with every node using it, in one message before anything runs.
        var unsupported = graph.Node.Where(n => !OnnxOperators.IsSupported(n.Domain, n.OpType))
            .GroupBy(n => OnnxOperators.DisplayName(n.Domain, n.OpType))
            .Select(g => $"{g.Key} ({(g.Count() == 1 ? "node" : "nodes")} {string.Join(", ", g.Select(NodeLabel))})")
            .ToList();
        if (unsupported.Count > 0)
            throw new OnnxImportException($"{file} uses operators CamStudio cannot run: {string.Join(", ", unsupported)}.");

        var initializerNames = graph.Initializer.Select(t => t.Name).ToHashSet();
        OnnxGraphInput input = DeclaredInput(graph, file);
        if (graph.Output.Count == 0)
            throw new OnnxImportException($"{file} declares no graph output.");
        (string[] graphOutputs, string? logitsUnclear) = OnnxOutputChoice.LogitsFirst(graph, file, options.Output);

        List<NodeProto> ordered = TopologicalOrder(graph, initializerNames, input.Name, file);

        var constants = new Dictionary<string, Tensor>();
        var owned = new List<Tensor>();
        Tensor Keep(Tensor t)
        {
            t = t.DetachFromDisposeScope();
            owned.Add(t);
            return t;
        }
        try
        {
            using var noGrad = torch.no_grad();
            foreach (TensorProto initializer in graph.Initializer)
            {
                try
                {
                    constants[initializer.Name] = Keep(OnnxTensorReader.Read(initializer, device));
                }
                catch (InvalidDataException ex)
                {
                    throw new OnnxImportException($"{file}: initializer {ex.Message}.", ex);
                }
            }

            var nodes = new List<OnnxGraphNode>();
            foreach (NodeProto node in ordered)
            {
                if (node.OpType == "Constant")
                {
                    constants[node.Output[0]] = Keep(ConstantValue(node, device, file));
                    continue;
                }
                OnnxKernel kernel;
                var keptByNode = new List<Tensor>();
                Tensor KeepForNode(Tensor t)
                {
                    Tensor kept = Keep(t);
                    keptByNode.Add(kept);
                    return kept;
                }
                try
                {
                    kernel = OnnxOperators.Build(new OnnxNodeContext(node, opset, device, options, constants.GetValueOrDefault, KeepForNode));
                }
                catch (Exception ex) when (ex is InvalidDataException or ArgumentException or NotSupportedException)
                {
                    throw new OnnxImportException($"{file}: node {NodeLabel(node)} ({node.OpType}) cannot be imported: {ex.Message}.", ex);
                }
                string[] inputs = node.Input.ToArray();
                string[] outputs = node.Output.ToArray();
                if (inputs.Where(i => i.Length > 0).All(constants.ContainsKey))
                {
                    // Depends on weights only (e.g. a DequantizeLinear of a QDQ weight): evaluate once now.
                    using var scope = NewDisposeScope();
                    Tensor[] folded;
                    try
                    {
                        folded = kernel(inputs.Select(i => i.Length > 0 ? constants[i] : null).ToArray());
                    }
                    catch (Exception ex) when (ex is not OnnxImportException)
                    {
                        throw new OnnxImportException($"{file}: node {NodeLabel(node)} ({node.OpType}) fails on its constant inputs: {DisplayText.NativeMessage(ex)}", ex);
                    }
                    for (int k = 0; k < outputs.Length && k < folded.Length; k++)
                        if (outputs[k].Length > 0)
                            constants[outputs[k]] = Keep(folded[k].alias());
                    continue;
                }
                var attributes = node.Attribute
                    .Where(a => a.Type is AttributeProto.Types.AttributeType.Int or AttributeProto.Types.AttributeType.Float)
                    .ToDictionary(a => a.Name, a => a.Type == AttributeProto.Types.AttributeType.Float ? a.F : (float)a.I);
                List<Tensor> weights = inputs.Where(i => i.Length > 0 && constants.ContainsKey(i)).Select(i => constants[i]).Concat(keptByNode)
                    .Where(t => t.dim() >= 2 && t.is_floating_point()).Distinct().ToList();
                nodes.Add(new OnnxGraphNode(NodeLabel(node), node.OpType, inputs, outputs, kernel, attributes, node) { Weights = weights });
            }

            if (options.Fuse)
                nodes = OnnxFusions.Apply(nodes, constants, graphOutputs);
            return new OnnxGraphModule(file, input, graphOutputs, nodes, constants, owned, opset, device, options.ReuseShapeArithmetic) { LogitsUnclear = logitsUnclear };
        }
        catch
        {
            foreach (Tensor t in owned)
                t.Dispose();
            throw;
        }
    }

    /// <summary>The graph's one image input (initializers listed as inputs are weights, not inputs) and its declared shape.</summary>
    private static OnnxGraphInput DeclaredInput(GraphProto graph, string file)
    {
        var initializerNames = graph.Initializer.Select(t => t.Name).ToHashSet();
        var realInputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).ToList();
        if (realInputs.Count != 1)
            throw new OnnxImportException($"{file} has {realInputs.Count} graph inputs ({string.Join(", ", realInputs.Select(i => i.Name))}); " +
                "CamStudio runs models with exactly one image input.");
        var inputShape = realInputs[0].Type?.TensorType?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : (long?)null).ToArray()
            ?? [];
        return new OnnxGraphInput(realInputs[0].Name, inputShape);
    }

    /// <summary>The declared input of an .onnx file, read without compiling the graph.</summary>
    internal static OnnxGraphInput ReadInput(string path)
    {
        string file = Path.GetFileName(path);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidProtocolBufferException)
        {
            throw new OnnxImportException($"{file} is not a readable ONNX model ({ex.Message}).", ex);
        }
        if (model.Graph is null)
            throw new OnnxImportException($"{file} is not an ONNX model with a graph.");
        return DeclaredInput(model.Graph, file);
    }

    private static string NodeLabel(NodeProto node) => node.Name.Length > 0 ? node.Name : $"producing {node.Output.FirstOrDefault() ?? "?"}";

    /// <summary>Kahn's order over tensor availability; every input nobody provides is reported at once.</summary>
    private static List<NodeProto> TopologicalOrder(GraphProto graph, HashSet<string> initializers, string input, string file)
    {
        var available = new HashSet<string>(initializers) { input, "" };
        var produced = graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0).ToHashSet();
        var dangling = graph.Node
            .SelectMany(n => n.Input.Where(i => i.Length > 0 && !available.Contains(i) && !produced.Contains(i)).Select(i => (Node: n, Tensor: i)))
            .Select(p => $"'{p.Tensor}' (read by node {NodeLabel(p.Node)})")
            .Concat(graph.Output.Where(o => !available.Contains(o.Name) && !produced.Contains(o.Name)).Select(o => $"'{o.Name}' (a graph output)"))
            .ToList();
        if (dangling.Count > 0)
            throw new OnnxImportException($"{file} refers to tensors that no initializer, input or node provides: {string.Join(", ", dangling)}.");

        var pending = new List<NodeProto>(graph.Node);
        var ordered = new List<NodeProto>(pending.Count);
        while (pending.Count > 0)
        {
            int before = ordered.Count;
            for (int i = 0; i < pending.Count; i++)
            {
                NodeProto node = pending[i];
                if (node.Input.All(available.Contains))
                {
                    ordered.Add(node);
                    foreach (string o in node.Output)
                        available.Add(o);
                    pending.RemoveAt(i--);
                }
            }
            if (ordered.Count == before)
                throw new OnnxImportException($"{file} has a cycle: nodes {string.Join(", ", pending.Take(5).Select(NodeLabel))} wait on each other.");
        }
        return ordered;
    }

    private static Tensor ConstantValue(NodeProto node, Device device, string file)
    {
        AttributeProto? a = node.Attribute.FirstOrDefault();
        try
        {
            return a?.Name switch
            {
                "value" => OnnxTensorReader.Read(a.T, device),
                "value_float" => torch.tensor(a.F, device: device),
                "value_floats" => torch.tensor(a.Floats.ToArray(), device: device),
                "value_int" => torch.tensor(a.I, device: device),
                "value_ints" => torch.tensor(a.Ints.ToArray(), device: device),
                _ => throw new InvalidDataException($"Constant with attribute '{a?.Name}' is not supported"),
            };
        }
        catch (InvalidDataException ex)
        {
            throw new OnnxImportException($"{file}: node {NodeLabel(node)} (Constant): {ex.Message}.", ex);
        }
    }
}

/// <summary>Outputs of one graph run and the captured tensor (if any); disposing frees them.</summary>
internal sealed class GraphRun : IDisposable
{
    public GraphRun(Tensor[] outputs, Tensor? captured)
    {
        Outputs = outputs;
        Captured = captured;
    }

    public Tensor[] Outputs { get; }

    public Tensor Output => Outputs[0];

    public Tensor? Captured { get; }

    public void Dispose()
    {
        foreach (Tensor t in Outputs)
            t.Dispose();
        Captured?.Dispose();
    }
}
