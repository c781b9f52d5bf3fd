using System.Diagnostics;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Models;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// Sanity checks (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018). Cascading model-parameter
/// randomisation: the model's weight groups are re-initialised from the output end inwards (seeded,
/// <see cref="IWeightRandomisation"/>) in <c>stages</c> steps, the map recomputed at each, and compared with the
/// original by Spearman rank correlation and SSIM. The random-class test compares the map of a random other class.
/// </summary>
/// <remarks>
/// Verdict: a method passes when, at the first stage with at least half of the weight groups randomised, Spearman is
/// below <see cref="PassThreshold"/>. A map that ignores the model (an edge detector, a centre prior) stays identical
/// and fails; a faithful map must change once the layers it explains are destroyed.
/// </remarks>
public static class SanityCheck
{
    /// <summary>Spearman below this at the half-randomised stage passes.</summary>
    public const double PassThreshold = 0.5;

    /// <summary>Number of weight groups randomised at stage <paramref name="stage"/> (1-based) of <paramref name="stages"/>.</summary>
    public static int GroupsAt(int stage, int stages, int groups) => (int)Math.Ceiling((double)stage * groups / stages);

    /// <summary>
    /// The checks of <paramref name="original"/> (the map of <paramref name="classIndex"/>, input resolution, in [0, 1]).
    /// <paramref name="mapOf"/> recomputes that map for a class under the model's current weights.
    /// </summary>
    public static SanityResult Compute(IWeightRandomisation model, int classCount, Func<long, float[]> mapOf, float[] original,
        long classIndex, int width, int height, int stages, ulong seed, ForwardPacing pacing, CancellationToken cancellationToken)
    {
        int groups = model.WeightGroupCount;
        var results = new List<SanityStage>();
        int verdictStage = -1;
        for (int stage = 1; stage <= stages; stage++)
        {
            int count = GroupsAt(stage, stages, groups);
            float[] map = Paced(pacing, cancellationToken, () =>
            {
                using IDisposable randomised = model.RandomiseFromOutput(count, seed + (ulong)stage);
                return mapOf(classIndex);
            });
            results.Add(new SanityStage(count, RankCorrelation.Spearman(original, map), StructuralSimilarity.Compute(original, map, width, height)));
            if (verdictStage < 0 && 2 * count >= groups)
                verdictStage = results.Count - 1;
        }
        SanityStage verdict = results[verdictStage < 0 ? results.Count - 1 : verdictStage];

        int other = -1;
        double classSpearman = double.NaN, classSsim = double.NaN;
        if (classCount > 1)
        {
            other = new Random(unchecked((int)seed)).Next(classCount - 1);
            if (other >= classIndex)
                other++;
            float[] map = Paced(pacing, cancellationToken, () => mapOf(other));
            classSpearman = RankCorrelation.Spearman(original, map);
            classSsim = StructuralSimilarity.Compute(original, map, width, height);
        }
        return new SanityResult(results, groups, verdict.Spearman, verdict.Ssim, verdict.Spearman < PassThreshold, other, classSpearman, classSsim);
    }

    /// <summary>The result of a model-independent map: identical at every stage (it fails, as it should).</summary>
    public static SanityResult ForModelIndependentMap(int groups, int stages) =>
        new(Enumerable.Range(1, stages).Select(s => new SanityStage(GroupsAt(s, stages, groups), 1, 1)).ToList(), groups, 1, 1, false, -1, 1, 1);

    /// <summary>Forward passes the checks cost per map (one per stage and one for the random class; more for slow methods).</summary>
    public static int ForwardsPerMap(int stages) => stages + 1;

    private static float[] Paced(ForwardPacing pacing, CancellationToken cancellationToken, Func<float[]> compute)
    {
        pacing.BeforeChunk(cancellationToken);
        long started = Stopwatch.GetTimestamp();
        float[] map = compute();
        pacing.AfterChunk(1, Stopwatch.GetElapsedTime(started));
        return map;
    }
}
