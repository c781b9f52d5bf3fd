using System.Diagnostics;
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
    private readonly ICamModel _model;
    private readonly string _layer;
    private readonly CancellationToken _cancellationToken;
    private readonly ForwardPacing _pacing;
    private readonly Dictionary<string, Tensor> _cache = new(StringComparer.Ordinal);

    /// <summary>Extra passes of <paramref name="model"/> at <paramref name="layer"/> for the batch <paramref name="input"/>.</summary>
    /// <param name="pacing">Chunk sizes, progress and the yield between chunks (default: none of the latter two).</param>
    public ExtraForwards(ICamModel model, Tensor input, string layer, CancellationToken cancellationToken = default, ForwardPacing? pacing = null)
    {
        _model = model;
        Input = input;
        _layer = layer;
        _cancellationToken = cancellationToken;
        _pacing = pacing ?? new ForwardPacing(0);
    }

    /// <summary>How many of <paramref name="remaining"/> perturbed copies should go through the model in the next chunk.</summary>
    public int NextChunkSize(long remaining) => _pacing.NextChunkSize(remaining);

    /// <summary>The N×3×H×W batch being explained (borrowed).</summary>
    public Tensor Input { get; }

    /// <summary>
    /// Logits of <paramref name="input"/> (M×3×H×W), no gradients; the caller owns the result. On a model with
    /// <see cref="IInferenceForwards"/>, in inference mode and its inference precision (bfloat16 where the CPU has it).
    /// </summary>
    public Tensor Logits(Tensor input) => Chunk(input, () =>
    {
        if (_model is IInferenceForwards fast)
            return fast.InferenceLogits(input);
        // Other models (ONNX imports) get the batch channels-last too: their convolutions follow its memory order.
        Tensor stored = BatchLayout.ChannelsLast(input);
        try
        {
            using ModelRun run = _model.Run(stored, _layer, trackGradients: false);
            return run.Logits.alias();
        }
        finally
        {
            if (!ReferenceEquals(stored, input))
                stored.Dispose();
        }
    });

    /// <summary>Counts <paramref name="forwards"/> passes as done without running them (a mask seen before, a channel that cannot change the score).</summary>
    public void Skip(long forwards) => _pacing.Skip(forwards);

    /// <summary>
    /// ∂y_c/∂A at the layer for each row of <paramref name="input"/> (M×3×H×W) and its class in
    /// <paramref name="classIndices"/> (M): a forward and a partial backward per chunk; the caller owns the result.
    /// </summary>
    public Tensor LayerGradients(Tensor input, Tensor classIndices)
    {
        // Methods compute under no_grad; the score taken from the logits must be recorded for the backward.
        using IDisposable gradMode = torch.enable_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        var chunks = new List<Tensor>();
        for (long start = 0, count; start < input.shape[0]; start += count)
        {
            count = Math.Min(NextChunkSize(input.shape[0] - start), _model.MaxBatchSize);
            Tensor part = input.narrow(0, start, count);
            Tensor classes = classIndices.narrow(0, start, count);
            chunks.Add(Chunk(part, () =>
            {
                using ModelRun run = _model.Run(part, _layer, trackGradients: true);
                Tensor score = run.Logits.gather(1, classes.unsqueeze(1)).sum();
                return torch.autograd.grad([score], [run.Activation])[0].detach();
            }));
        }
        return torch.cat(chunks, 0).MoveToOuterDisposeScope();
    }

    /// <summary>Logits of <paramref name="input"/> with the layer's output replaced; the caller owns the result.</summary>
    public Tensor LogitsWithLayerOutput(Tensor input, Tensor output)
    {
        ILayerOutputReplacement replaceable = _model as ILayerOutputReplacement ?? throw new InvalidOperationException(
            $"Model '{_model.Name}' cannot run with a layer's output replaced, which this method needs; use another method.");
        return Chunk(input, () => replaceable.LogitsWithLayerOutput(input, _layer, output));
    }

    private Tensor Chunk(Tensor input, Func<Tensor> forward)
    {
        _pacing.BeforeChunk(_cancellationToken);
        long started = Stopwatch.GetTimestamp();
        Tensor logits = forward();
        _pacing.AfterChunk(input.shape[0], Stopwatch.GetElapsedTime(started));
        return logits;
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

    /// <summary>Frees the cached tensors.</summary>
    public void Dispose()
    {
        foreach (Tensor tensor in _cache.Values)
            tensor.Dispose();
        _cache.Clear();
    }
}
