using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// The baselines' scores, kept per loaded model: a baseline map depends only on the photo's input, the layer's grid and
/// the seed, so its scores for a class and metric settings are the same whatever method is being judged beside it.
/// The studio's Trust tab re-scores the current map on every method or layer change; with this the three baselines'
/// passes (deletion, insertion, ROAD's imputations, three times) are paid once per photo and class. A reloaded model
/// is a new instance and starts empty; each model keeps at most <see cref="Capacity"/> entries, the oldest dropped first.
/// </summary>
internal sealed class BaselineScoreCache
{
    public const int Capacity = 512;

    private readonly ConditionalWeakTable<ICamModel, Entries> _byModel = new();

    /// <summary>How many baseline scores were answered from the cache (for tests and diagnostics).</summary>
    public long Hits { get; private set; }

    /// <summary>The key of a photo's input (its bytes' SHA-256): the same photo resized the same way is the same key.</summary>
    public static string InputKey(Tensor input)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        float[] values = input.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        byte[] hash = SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return string.Join('x', input.shape) + ":" + Convert.ToHexString(hash);
    }

    /// <summary>Everything besides the model and input a baseline's scores depend on.</summary>
    public static string Key(string input, string baseline, int classIndex, LayerInfo grid, MetricOptions options) => string.Create(CultureInfo.InvariantCulture,
        $"{input}|{baseline}|{classIndex}|{string.Join('x', grid.Shape)}|{string.Join(',', options.Metrics.Order(StringComparer.Ordinal))}|{options.Steps}|{options.Baseline}|{options.Box}|{options.Seed}");

    public bool TryGet(ICamModel model, string key, out MapScores scores)
    {
        Entries entries = _byModel.GetOrCreateValue(model);
        lock (entries)
        {
            if (entries.Scores.TryGetValue(key, out scores!))
            {
                Hits++;
                return true;
            }
            return false;
        }
    }

    public void Add(ICamModel model, string key, MapScores scores)
    {
        Entries entries = _byModel.GetOrCreateValue(model);
        lock (entries)
        {
            if (!entries.Scores.TryAdd(key, scores))
                return;
            entries.Order.Enqueue(key);
            while (entries.Order.Count > Capacity)
                entries.Scores.Remove(entries.Order.Dequeue());
        }
    }

    private sealed class Entries
    {
        public Dictionary<string, MapScores> Scores { get; } = new(StringComparer.Ordinal);

        public Queue<string> Order { get; } = new();
    }
}
