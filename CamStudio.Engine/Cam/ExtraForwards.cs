using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>
/// Extra forward passes for the perturbation methods (Score-CAM, Ablation-CAM): the batch being explained, the
/// model's logits for other inputs or with the layer's output replaced, and a per-explanation cache so that
/// several classes of the same photos reuse one set of passes. Owned and disposed by the explainer.
/// </summary>
public sealed class ExtraForwards : IDisposable
{
    /// <summary>How many perturbed copies go through the model at once.</summary>
    public const int ChunkSize = 32;

    private readonly ICamModel _model;
    private readonly string _layer;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<string, Tensor> _cache = new(StringComparer.Ordinal);

    public ExtraForwards(ICamModel model, Tensor input, string layer, CancellationToken cancellationToken = default)
    {
        _model = model;
        Input = input;
        _layer = layer;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The N×3×H×W batch being explained (borrowed).</summary>
    public Tensor Input { get; }

    /// <summary>Logits of <paramref name="input"/> (M×3×H×W), no gradients; the caller owns the result.</summary>
    public Tensor Logits(Tensor input)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        using ModelRun run = _model.Run(input, _layer, trackGradients: false);
        return run.Logits.alias();
    }

    /// <summary>Logits of <paramref name="input"/> with the layer's output replaced; the caller owns the result.</summary>
    public Tensor LogitsWithLayerOutput(Tensor input, Tensor output)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        return _model is ILayerOutputReplacement replaceable
            ? replaceable.LogitsWithLayerOutput(input, _layer, output)
            : throw new InvalidOperationException(
                $"Model '{_model.Name}' cannot run with a layer's output replaced, which this method needs; use another method.");
    }

    /// <summary>
    /// The tensor cached under <paramref name="key"/>, computed by <paramref name="compute"/> the first time. The
    /// cache owns it (do not dispose), until the explanation ends.
    /// </summary>
    public Tensor Cached(string key, Func<Tensor> compute)
    {
        if (!_cache.TryGetValue(key, out Tensor? value))
        {
            value = compute().DetachFromDisposeScope();
            _cache[key] = value;
        }
        return value;
    }

    public void Dispose()
    {
        foreach (Tensor tensor in _cache.Values)
            tensor.Dispose();
        _cache.Clear();
    }
}
