using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// Deletion and insertion (Petsiuk, Das and Saenko, "RISE: Randomized Input Sampling for Explanation of Black-box
/// Models", BMVC 2018), with the semantics of TorchCAM's <c>DeletionInsertionMetric</c>.
/// </summary>
/// <remarks>
/// Positions ranked by the map, highest first (<see cref="MapRanking"/>); step = ⌈HW / steps⌉; points at counts 0,
/// step, 2·step, … below HW, then HW. Deletion replaces the top-ranked positions (all channels) by the baseline,
/// insertion starts from the baseline and restores them; the all-baseline input is shared by deletion's last point and
/// insertion's first, the original input's probability by deletion's first and insertion's last. AUC = trapezoid over
/// the fraction of positions perturbed. Every perturbed input is built in one stack and scored in chunks.
/// </remarks>
public static class DeletionInsertion
{
    /// <summary>The counts of perturbed positions at each curve point.</summary>
    public static int[] Counts(int positions, int steps)
    {
        if (steps <= 0)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be at least 1.");
        int step = (positions + steps - 1) / steps;
        var counts = new List<int>();
        for (int c = 0; c < positions; c += step)
            counts.Add(c);
        counts.Add(positions);
        return counts.ToArray();
    }

    /// <summary>Forward passes one map costs (the original input's probability is known).</summary>
    public static int ForwardsPerMap(int positions, int steps) => 1 + 2 * (Counts(positions, steps).Length - 2);

    /// <summary>Both curves and AUCs of <paramref name="map"/> (H·W, row-major) for <paramref name="input"/> (1×C×H×W).</summary>
    public static (double[] Fractions, double[] Deletion, double[] Insertion, double DeletionAuc, double InsertionAuc) Compute(
        ProbabilityScorer scorer, Tensor input, Tensor baseline, ReadOnlySpan<float> map, long classIndex, double probability, int steps)
    {
        int height = (int)input.shape[2], width = (int)input.shape[3], positions = height * width;
        if (map.Length != positions)
            throw new ArgumentException($"A {width}×{height} input needs a map of {positions} values, got {map.Length}.", nameof(map));
        int[] counts = Counts(positions, steps);
        int interior = counts.Length - 2;
        double[] scores;
        using (DisposeScope scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            Tensor ranks = torch.tensor(MapRanking.Ranks(map), device: input.device).reshape(1, 1, height, width);
            Tensor thresholds = torch.tensor(counts[1..^1], device: input.device).reshape(-1, 1, 1, 1);
            Tensor perturbed = ranks.lt(thresholds); // interior × 1 × H × W: the top `count` positions
            Tensor deleted = torch.where(perturbed, baseline, input);
            Tensor inserted = torch.where(perturbed, input, baseline);
            Tensor stack = torch.cat([baseline, deleted, inserted], 0);
            scores = scorer.Probabilities(stack, classIndex);
        }
        var fractions = counts.Select(c => (double)c / positions).ToArray();
        var deletion = new double[counts.Length];
        var insertion = new double[counts.Length];
        deletion[0] = probability;
        insertion[^1] = probability;
        deletion[^1] = scores[0];
        insertion[0] = scores[0];
        for (int k = 0; k < interior; k++)
        {
            deletion[k + 1] = scores[1 + k];
            insertion[k + 1] = scores[1 + interior + k];
        }
        return (fractions, deletion, insertion, Trapezoid(deletion, fractions), Trapezoid(insertion, fractions));
    }

    /// <summary>∫ y dx by the trapezoid rule.</summary>
    public static double Trapezoid(IReadOnlyList<double> y, IReadOnlyList<double> x)
    {
        double area = 0;
        for (int i = 1; i < y.Count; i++)
            area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
        return area;
    }
}
