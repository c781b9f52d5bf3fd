using System.Runtime.InteropServices;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// A TorchSharp classifier (<c>Module&lt;Tensor, Tensor&gt;</c>, images in, logits out) whose module outputs
/// can be captured with forward hooks. Takes ownership of the module: puts it in eval mode, on
/// <see cref="Device"/>, with no parameter requiring grad, and disposes it.
/// </summary>
/// <remarks>
/// Construct and use on the torch thread: the constructor runs one probe forward pass (a batch of one at the
/// input size of <see cref="Preprocessing"/>) to learn the layers, their output shapes and the class count.
/// <para>
/// With a <c>createReplica</c> factory (an untrained copy of the architecture) and bfloat16 inference (on a CPU with
/// bfloat16 instructions, <see cref="CpuFeatures"/>), the extra passes of the perturbation methods run on a bfloat16
/// copy of the weights (<see cref="InferenceLogits"/>); everything else, gradients included, stays in float32.
/// </para>
/// </remarks>
public sealed partial class ModuleCamModel : ICamModel, ILayerOutputReplacement, IInferenceForwards, IWeightRandomisation, IBiasGradientModel
{
    private const ulong ProbeSeed = 20160527;

    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LayerInfo> _layersByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinearHead?> _heads = new(StringComparer.Ordinal);
    private readonly string? _autoLayer;
    private readonly Func<nn.Module<Tensor, Tensor>>? _createReplica;
    private nn.Module<Tensor, Tensor>? _replica;
    private readonly Func<nn.Module<Tensor, Tensor>>? _createFolded;
    private FoldedCopy? _folded;
    private bool _foldRefused;

    /// <param name="createReplica">Builds the same architecture (any weights), for the bfloat16 copy; null: no copy.</param>
    /// <param name="inferencePrecision">Float32 or BFloat16 for <see cref="InferenceLogits"/> (default: BFloat16 where
    /// <see cref="CpuFeatures.UseBFloat16ForInference"/> and a replica can be made, on the CPU).</param>
    /// <param name="createFolded">Builds the same architecture with <see cref="BatchNormFolding.FoldedNorm"/> at every
    /// BatchNorm2d, for the batch-norm-folded copy the forwards run on (see <see cref="BatchNormFolding"/>); null: no copy.</param>
    public ModuleCamModel(
        string name,
        nn.Module<Tensor, Tensor> module,
        PreprocessingSpec preprocessing,
        Device device,
        IReadOnlyList<string>? labels = null,
        Func<nn.Module<Tensor, Tensor>>? createReplica = null,
        ScalarType? inferencePrecision = null,
        Func<nn.Module<Tensor, Tensor>>? createFolded = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(device);
        Name = name;
        Module = module;
        Preprocessing = preprocessing;
        Device = device;
        _createReplica = createReplica;
        _createFolded = createFolded;
        ScalarType wanted = inferencePrecision ?? (CpuFeatures.UseBFloat16ForInference ? ScalarType.BFloat16 : ScalarType.Float32);
        if (wanted is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"Inference precision must be Float32 or BFloat16, not {wanted}.", nameof(inferencePrecision));
        InferencePrecision = wanted == ScalarType.BFloat16 && createReplica is not null && device.type == DeviceType.CPU
            ? ScalarType.BFloat16
            : ScalarType.Float32;

        module.to(device);
        module.eval();
        foreach (Parameter parameter in module.parameters())
            parameter.requires_grad = false;
        foreach ((string moduleName, nn.Module sub) in module.named_modules())
        {
            if (sub is nn.Module<Tensor, Tensor> tensorModule && moduleName.Length > 0)
                _modules[moduleName] = tensorModule;
        }

        (Layers, ClassCount) = Probe();
        foreach (LayerInfo layer in Layers)
            _layersByName[layer.Name] = layer;
        _autoLayer = ChooseAutoLayer(Layers);

        if (labels is null || labels.Count == 0)
            Labels = Enumerable.Range(0, ClassCount).Select(i => $"class {i}").ToArray();
        else if (labels.Count != ClassCount)
            throw new ArgumentException(
                $"Model '{name}' outputs {ClassCount} classes but {labels.Count} labels were given.", nameof(labels));
        else
            Labels = labels;
    }

    public string Name { get; }

    /// <summary>The wrapped module (owned by this model).</summary>
    public nn.Module<Tensor, Tensor> Module { get; }

    public PreprocessingSpec Preprocessing { get; }

    public IReadOnlyList<string> Labels { get; }

    public Device Device { get; }

    /// <summary>Number of classes (length of the logits).</summary>
    public int ClassCount { get; }

    /// <summary>
    /// Every named module that outputs one tensor and runs once per forward pass, in the order their forward
    /// hooks fire (execution order; a container fires after its children), with output shapes for a batch of one.
    /// </summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>
    /// The last layer in execution order whose output is spatial (4-D with H×W &gt; 1), not counting adaptive
    /// pooling layers. Because a container's hook fires after its children's, a container wins over its last
    /// child: resnet → <c>layer4</c>, mobilenet_v2 → <c>features</c>, vgg → <c>features</c> (VGG's
    /// <c>AdaptiveAvgPool2d(7×7)</c> only resamples the features for the classifier, so it is skipped).
    /// </summary>
    public string AutoLayer => _autoLayer ?? throw new InvalidOperationException(
        $"Model '{Name}' has no layer with a spatial (N×C×H×W, H×W > 1) output, so it has nothing to map.");

    /// <summary>Autograd through the module, and layer outputs replaced by a forward hook.</summary>
    public ModelCapabilities Capabilities => ModelCapabilities.Gradients | ModelCapabilities.LayerOutputReplacement
        | ModelCapabilities.SecondOrderGradients | ModelCapabilities.BiasGradients;

    /// <summary>
    /// The last <c>Linear</c> layer (execution order) with in_features = C of <paramref name="layer"/> and one output
    /// per class, provided the probe run confirms logits ≈ W·GAP(A) + b (relative tolerance 1e-4); otherwise null.
    /// Honest rather than structural: any module graph that computes exactly that qualifies, nothing else does.
    /// </summary>
    public LinearHead? HeadAfter(string layer)
    {
        string resolved = ResolveLayer(layer);
        if (_heads.TryGetValue(resolved, out LinearHead? cached))
            return cached;
        LinearHead? head = FindHead(resolved);
        _heads[resolved] = head;
        return head;
    }

    public ModelRun Run(Tensor input, string layer, bool trackGradients)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4)
            throw new ArgumentException($"Model '{Name}' takes an N×3×H×W batch, got a tensor of shape {string.Join("×", input.shape)}.", nameof(input));
        string resolved = ResolveLayer(layer);
        (nn.Module<Tensor, Tensor> network, nn.Module<Tensor, Tensor> module) = ForLayer(resolved);

        using var capture = new ActivationCapture(module, resolved, trackGradients);
        using IDisposable gradMode = trackGradients ? torch.enable_grad() : torch.no_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor logits = network.call(input);
        Tensor activation = capture.TakeActivation();
        scope.Attach(activation);
        scope.MoveToOuter(logits, activation);
        return new ModelRun(logits, activation);
    }

    /// <summary>
    /// The biased layers are every <c>Conv2d</c> with a bias and every <c>BatchNorm2d</c>, as pytorch-grad-cam's FullGrad
    /// picks them. Each one's output is kept and the network continues with a copy (torchvision's in-place ReLUs).
    /// </summary>
    public ModelRun RunFromInput(Tensor input, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4)
            throw new ArgumentException($"Model '{Name}' takes an N×3×H×W batch, got a tensor of shape {string.Join("×", input.shape)}.", nameof(input));
        string resolved = ResolveLayer(layer);
        var terms = new List<BiasTerm>();
        var removers = new List<Action>();
        using var capture = new ActivationCapture(_modules[resolved], resolved, trackGradients: true, keepHistory: true);
        using IDisposable gradMode = torch.enable_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        try
        {
            foreach (nn.Module<Tensor, Tensor> module in _modules.Values)
            {
                Tensor? bias = EffectiveBias(module);
                if (bias is null)
                    continue;
                Tensor ownBias = bias.DetachFromDisposeScope();
                var remover = module.register_forward_hook((_, _, output) =>
                {
                    terms.Add(new BiasTerm(output.alias().DetachFromDisposeScope(), ownBias.alias().DetachFromDisposeScope()));
                    return output.clone();
                });
                removers.Add(remover.remove);
                removers.Add(ownBias.Dispose);
            }
            Tensor leaf = input.detach().clone().requires_grad_(true);
            Tensor logits = Module.call(leaf);
            Tensor activation = capture.TakeActivation();
            scope.Attach(activation);
            foreach (BiasTerm term in terms)
            {
                scope.Attach(term.Output);
                scope.Attach(term.Bias);
            }
            scope.MoveToOuter([logits, activation, leaf, .. terms.SelectMany(t => new[] { t.Output, t.Bias })]);
            return new ModelRun(logits, activation, leaf, terms);
        }
        finally
        {
            foreach (Action remove in removers)
                remove();
        }
    }

    /// <summary>The per-channel bias <paramref name="module"/> adds, or null: a conv's own, batch norm's β − μ·γ/√(σ² + ε) in eval mode.</summary>
    private static Tensor? EffectiveBias(nn.Module<Tensor, Tensor> module)
    {
        using IDisposable noGrad = torch.no_grad();
        switch (module)
        {
            case Conv2d conv when conv.bias is not null:
                return conv.bias.detach().clone();
            case BatchNorm2d norm when norm.running_mean is not null && norm.running_var is not null:
            {
                Tensor scale = (norm.running_var + norm.eps).rsqrt();
                if (norm.weight is not null)
                    scale = scale * norm.weight;
                Tensor shift = -norm.running_mean * scale;
                return norm.bias is null ? shift : shift + norm.bias;
            }
            default:
                return null;
        }
    }

    /// <remarks>
    /// When <paramref name="input"/> is one photo expanded to M copies (batch stride 0, as Ablation-CAM passes it),
    /// the layers before <paramref name="layer"/> run once on that photo and the M replaced outputs flow on from there:
    /// whatever later layers read from before the layer is the same for every copy, so broadcasting it gives what M
    /// full passes would. A model where that does not hold (the logits are not M rows, or a shape error) runs the M
    /// copies in full instead.
    /// </remarks>
    public Tensor LogitsWithLayerOutput(Tensor input, string layer, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        if (input.dim() == 4 && input.shape[0] > 1 && input.stride(0) == 0 && output.dim() >= 1 && output.shape[0] == input.shape[0])
        {
            Tensor? shared = null;
            try
            {
                shared = LogitsWithLayerOutput(input.narrow(0, 0, 1), layer, output, allowLargerBatch: true);
                if (shared.dim() == 2 && shared.shape[0] == input.shape[0])
                    return shared;
            }
            catch (Exception ex) when (ex is ExternalException or ArgumentException or InvalidOperationException)
            {
                // Falls through to the full passes.
            }
            shared?.Dispose();
        }
        return LogitsWithLayerOutput(input, layer, output, allowLargerBatch: false);
    }

    private Tensor LogitsWithLayerOutput(Tensor input, string layer, Tensor output, bool allowLargerBatch)
    {
        string resolved = ResolveLayer(layer);
        (nn.Module<Tensor, Tensor> network, nn.Module<Tensor, Tensor> module) = ForLayer(resolved);
        int calls = 0;
        var remover = module.register_forward_hook((_, _, own) =>
        {
            bool fits = allowLargerBatch
                ? own.dim() == output.dim() && own.shape.Skip(1).SequenceEqual(output.shape.Skip(1))
                : own.shape.SequenceEqual(output.shape);
            if (++calls > 1 || !fits)
                throw new InvalidOperationException(
                    $"Layer '{resolved}' output {string.Join("×", own.shape)} cannot be replaced by {string.Join("×", output.shape)}.");
            // A new handle: the model's dispose scopes may free what the hook returns, never the caller's tensor.
            return output.alias();
        });
        try
        {
            using IDisposable noGrad = torch.no_grad();
            using DisposeScope scope = torch.NewDisposeScope();
            return network.call(input).MoveToOuterDisposeScope();
        }
        finally
        {
            remover.remove();
        }
    }

    /// <summary>
    /// The layer name <paramref name="layer"/> stands for ("auto" → <see cref="AutoLayer"/>); throws with the
    /// capturable layers (the closest names first) when there is no such layer.
    /// </summary>
    public string ResolveLayer(string layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return _layersByName.ContainsKey(layer) ? layer : LayerNames.Resolve(this, layer);
    }

    /// <summary>BFloat16 when the extra passes run on the bfloat16 copy, else Float32.</summary>
    public ScalarType InferencePrecision { get; }

    public Tensor InferenceLogits(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4)
            throw new ArgumentException($"Model '{Name}' takes an N×3×H×W batch, got a tensor of shape {string.Join("×", input.shape)}.", nameof(input));
        using IDisposable inference = torch.inference_mode();
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor logits = InferencePrecision == ScalarType.BFloat16
            ? Replica().call(BatchLayout.ChannelsLast(input.to(ScalarType.BFloat16))).to(ScalarType.Float32)
            : (Folded()?.Network ?? Module).call(BatchLayout.ChannelsLast(input));
        return logits.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _replica?.Dispose();
        _folded?.Network.Dispose();
        Module.Dispose();
    }

    /// <summary>Whether the forwards run on a batch-norm-folded copy (made on first use; false until then or when refused).</summary>
    internal bool FoldsBatchNorms => _folded is not null;

    /// <summary>
    /// The network to run when capturing or replacing <paramref name="resolved"/>, and that layer's module in it: the
    /// batch-norm-folded copy wherever it computes that layer's output as the model does (every layer but a folded
    /// convolution), else the model itself.
    /// </summary>
    private (nn.Module<Tensor, Tensor> Network, nn.Module<Tensor, Tensor> Layer) ForLayer(string resolved) =>
        Folded() is { } folded && !folded.Convolutions.Contains(resolved) && folded.Modules.TryGetValue(resolved, out nn.Module<Tensor, Tensor>? layer)
            ? (folded.Network, layer)
            : (Module, _modules[resolved]);

    private sealed record FoldedCopy(nn.Module<Tensor, Tensor> Network, IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>> Modules, IReadOnlySet<string> Convolutions);

    /// <summary>The batch-norm-folded copy of the model's current weights, made on first use; null when there is none.</summary>
    private FoldedCopy? Folded()
    {
        if (_folded is not null || _createFolded is null || _foldRefused)
            return _folded;
        // Made outside inference mode even when an inference pass asks first: its weights serve gradient runs too.
        using IDisposable normal = torch.inference_mode(false);
        IReadOnlyList<(string Conv, string Norm)>? pairs = BatchNormFolding.Pairs(Module, ProbeInput());
        if (pairs is null || pairs.Count == 0)
        {
            _foldRefused = true;
            return null;
        }
        nn.Module<Tensor, Tensor> network = _createFolded();
        try
        {
            network.eval();
            if (!BatchNormFolding.FoldInto(Module, network, pairs))
            {
                network.Dispose();
                _foldRefused = true;
                return null;
            }
            network.to(Device);
            foreach (Parameter parameter in network.parameters())
                parameter.requires_grad = false;
            if (!SameLogits(network))
            {
                network.Dispose();
                _foldRefused = true;
                return null;
            }
        }
        catch
        {
            network.Dispose();
            throw;
        }
        var modules = network.named_modules().Where(m => m.name.Length > 0 && m.module is nn.Module<Tensor, Tensor>)
            .ToDictionary(m => m.name, m => (nn.Module<Tensor, Tensor>)m.module, StringComparer.Ordinal);
        return _folded = new FoldedCopy(network, modules, pairs.Select(p => p.Conv).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Whether <paramref name="network"/> gives the model's logits on the probe input (within 1e-4 of the largest).</summary>
    private bool SameLogits(nn.Module<Tensor, Tensor> network)
    {
        using IDisposable noGrad = torch.no_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor input = ProbeInput();
        Tensor expected = Module.call(input), actual = network.call(input);
        if (!expected.shape.SequenceEqual(actual.shape))
            return false;
        double largest = expected.abs().max().item<float>();
        return (expected - actual).abs().max().item<float>() <= 1e-4 * Math.Max(largest, 1e-6);
    }

    /// <summary>Drops the folded copy, so the next forward folds the weights as they are now.</summary>
    private void ForgetFolded()
    {
        _folded?.Network.Dispose();
        _folded = null;
    }

    /// <summary>The bfloat16 copy of the weights, made on first use (it costs half the model's memory again).</summary>
    private nn.Module<Tensor, Tensor> Replica()
    {
        if (_replica is not null)
            return _replica;
        nn.Module<Tensor, Tensor> replica = _createReplica!();
        try
        {
            using (torch.no_grad())
                replica.load_state_dict(Module.state_dict());
            replica.to(Device);
            replica.eval();
            foreach (Parameter parameter in replica.parameters())
                parameter.requires_grad = false;
            replica.to(ScalarType.BFloat16);
        }
        catch
        {
            replica.Dispose();
            throw;
        }
        return _replica = replica;
    }

    /// <summary>Drops the bfloat16 copy, so the next extra passes copy the weights as they are now.</summary>
    private void ForgetReplica()
    {
        _replica?.Dispose();
        _replica = null;
    }

    /// <summary>Layers (execution order) that own a weight of rank ≥ 2: convolutions and linear layers.</summary>
    public int WeightGroupCount => WeightGroups().Count;

    /// <remarks>The bfloat16 and folded copies are dropped on both edges, so they never hold weights other than the model's own.</remarks>
    public IDisposable RandomiseFromOutput(int count, ulong seed)
    {
        ForgetReplica();
        ForgetFolded();
        IDisposable restore = WeightRandomiser.FromOutput(WeightGroups(), count, seed);
        return new ReplicaReset(restore, () =>
        {
            ForgetReplica();
            ForgetFolded();
        });
    }

    private sealed class ReplicaReset(IDisposable restore, Action forget) : IDisposable
    {
        public void Dispose()
        {
            restore.Dispose();
            forget();
        }
    }

    private List<IReadOnlyList<Tensor>> WeightGroups() => Layers
        .Select(l => (IReadOnlyList<Tensor>)_modules[l.Name].named_parameters(recurse: false).Select(p => (Tensor)p.parameter).Where(p => p.dim() >= 2).ToList())
        .Where(g => g.Count > 0)
        .ToList();

    private (IReadOnlyList<LayerInfo> Layers, int ClassCount) Probe()
    {
        var firstOutputs = new List<LayerInfo>();
        var calls = new Dictionary<string, int>(StringComparer.Ordinal);
        var removers = new List<Action>();
        try
        {
            foreach ((string name, nn.Module<Tensor, Tensor> module) in _modules)
            {
                string moduleName = name;
                string kind = module.GetType().Name;
                var remover = module.register_forward_hook((_, _, output) =>
                {
                    int count = calls.GetValueOrDefault(moduleName) + 1;
                    calls[moduleName] = count;
                    if (count == 1)
                        firstOutputs.Add(new LayerInfo(moduleName, output.shape, kind));
                    return output;
                });
                removers.Add(remover.remove);
            }
            using IDisposable noGrad = torch.no_grad();
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor logits = Module.call(ProbeInput());
            if (logits.dim() != 2 || logits.shape[0] != 1)
                throw new ArgumentException(
                    $"Model '{Name}' should output N×classes logits, but a batch of one gave shape {string.Join("×", logits.shape)}.");
            var layers = firstOutputs.Where(l => calls[l.Name] == 1).ToArray();
            return (layers, checked((int)logits.shape[1]));
        }
        finally
        {
            foreach (Action remove in removers)
                remove();
        }
    }

    private Tensor ProbeInput()
    {
        // A fixed seed on a private generator: the probe is reproducible and leaves the global RNG alone.
        using var generator = new torch.Generator(ProbeSeed, torch.CPU);
        Tensor input = torch.randn([1, 3, Preprocessing.InputHeight, Preprocessing.InputWidth], generator: generator);
        return input.to(Device);
    }

    private static string? ChooseAutoLayer(IReadOnlyList<LayerInfo> layers) =>
        layers.LastOrDefault(l => l.IsSpatial && l.Kind is not (nameof(AdaptiveAvgPool2d) or nameof(AdaptiveMaxPool2d)))?.Name;

    private LinearHead? FindHead(string layer)
    {
        LayerInfo info = _layersByName[layer];
        if (info.Shape.Length != 4)
            return null;
        long channels = info.Shape[1];
        Linear? linear = Layers
            .Select(l => _modules[l.Name])
            .OfType<Linear>()
            .LastOrDefault(l => l.in_features == channels && l.out_features == ClassCount);
        if (linear is null)
            return null;

        using IDisposable noGrad = torch.no_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        using ModelRun run = Run(ProbeInput(), layer, trackGradients: false);
        Tensor predicted = nn.functional.linear(run.Activation.mean([2, 3]), linear.weight, linear.bias);
        float difference = (predicted - run.Logits).abs().max().item<float>();
        float scale = run.Logits.abs().max().item<float>();
        return difference <= 1e-4f * scale + 1e-12f ? new LinearHead(linear.weight!, linear.bias) : null;
    }
}
