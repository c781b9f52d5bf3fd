using CamStudio.Engine.Cam;
using CamStudio.Engine.Models;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// Scores maps of one photo and class with the requested metrics, every map (a method's or a baseline's) by the same
/// code. Maps are at the model's input resolution, min-max normalised to [0, 1]. Call on the torch thread.
/// </summary>
public sealed class MapEvaluator : IDisposable
{
    private readonly ProbabilityScorer _scorer;
    private readonly ForwardPacing _pacing;
    private readonly MetricOptions _options;
    private readonly Tensor _input;
    private readonly long _classIndex;
    private readonly double _probability;
    private readonly CancellationToken _cancellationToken;
    private Tensor? _baseline;

    /// <param name="scorer">Runs the model.</param>
    /// <param name="pacing">The same pacing as the scorer's (the sanity checks' recomputed maps count on it too).</param>
    /// <param name="options">Metrics and settings.</param>
    /// <param name="input">The photo's normalised input, 1×C×H×W on the model's device (borrowed).</param>
    /// <param name="classIndex">The class explained.</param>
    /// <param name="probability">Its softmax probability on <paramref name="input"/>.</param>
    /// <param name="cancellationToken">Observed between chunks.</param>
    public MapEvaluator(ProbabilityScorer scorer, ForwardPacing pacing, MetricOptions options, Tensor input, long classIndex, double probability,
        CancellationToken cancellationToken)
    {
        _scorer = scorer;
        _pacing = pacing;
        _options = options;
        _input = input;
        _classIndex = classIndex;
        _probability = probability;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Input width.</summary>
    public int Width => (int)_input.shape[3];

    /// <summary>Input height.</summary>
    public int Height => (int)_input.shape[2];

    /// <summary>Forward passes one map costs with <paramref name="options"/> at <paramref name="positions"/> input positions.</summary>
    public static long ForwardsPerMap(MetricOptions options, int positions, bool modelIndependent)
    {
        long forwards = 0;
        if (options.Has(MetricNames.Deletion) || options.Has(MetricNames.Insertion))
            forwards += DeletionInsertion.ForwardsPerMap(positions, options.Steps);
        if (options.Has(MetricNames.Drop) || options.Has(MetricNames.Increase))
            forwards += 1;
        if (options.Has(MetricNames.Road))
            forwards += Road.ForwardsPerMap;
        if (options.Has(MetricNames.Sanity) && !modelIndependent)
            forwards += SanityCheck.ForwardsPerMap(options.SanityStages);
        return forwards;
    }

    /// <summary>
    /// The scores of <paramref name="map"/>. <paramref name="recompute"/> (the method's map of a class under the model's
    /// current weights) is needed for the sanity checks; null marks a map that does not depend on the model (a baseline).
    /// </summary>
    public MapScores Score(float[] map, Func<long, float[]>? recompute)
    {
        var scores = new MapScores();
        if (_options.Has(MetricNames.Deletion) || _options.Has(MetricNames.Insertion))
        {
            _baseline ??= PerturbationBaselines.For(_input, _options.Baseline).DetachFromDisposeScope();
            var c = DeletionInsertion.Compute(_scorer, _input, _baseline, map, _classIndex, _probability, _options.Steps);
            bool deletion = _options.Has(MetricNames.Deletion), insertion = _options.Has(MetricNames.Insertion);
            scores = scores with
            {
                Fractions = c.Fractions,
                DeletionCurve = deletion ? c.Deletion : null,
                DeletionAuc = deletion ? c.DeletionAuc : null,
                InsertionCurve = insertion ? c.Insertion : null,
                InsertionAuc = insertion ? c.InsertionAuc : null,
            };
        }
        if (_options.Has(MetricNames.Drop) || _options.Has(MetricNames.Increase))
        {
            (double drop, bool increase) = ConfidenceChange.Compute(_scorer, _input, map, _classIndex, _probability);
            scores = scores with
            {
                AverageDrop = _options.Has(MetricNames.Drop) ? drop : null,
                Increase = _options.Has(MetricNames.Increase) ? increase : null,
            };
        }
        if (_options.Has(MetricNames.Road))
        {
            (double morf, double lerf, double combined) = Road.Compute(_scorer, _input, map, _classIndex, _probability, _options.Seed);
            scores = scores with { RoadMorf = morf, RoadLerf = lerf, RoadCombined = combined };
        }
        if (_options.Has(MetricNames.Pointing) && _options.Box is { } box)
        {
            (bool hit, double energy) = PointingGame.Compute(map, Width, Height, box);
            scores = scores with { PointingHit = hit, EnergyPointing = energy };
        }
        if (_options.Has(MetricNames.Sanity))
        {
            var randomisable = _scorer.Model as IWeightRandomisation ?? throw new InvalidOperationException(
                $"Model '{_scorer.Model.Name}' cannot re-initialise its weights, which the sanity checks need.");
            scores = scores with
            {
                Sanity = recompute is null
                    ? SanityCheck.ForModelIndependentMap(randomisable.WeightGroupCount, _options.SanityStages)
                    : SanityCheck.Compute(randomisable, _scorer.Model.Labels.Count, recompute, map, _classIndex, Width, Height,
                        _options.SanityStages, _options.Seed, _pacing, _cancellationToken),
            };
        }
        return scores;
    }

    /// <summary>Frees the perturbation baseline.</summary>
    public void Dispose() => _baseline?.Dispose();
}
