using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// ROAD, RemOve And Debias (Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution Methods",
/// ICML 2022), as pytorch-grad-cam's <c>ROADMostRelevantFirstAverage</c>, <c>ROADLeastRelevantFirstAverage</c> and
/// <c>ROADCombined</c>: at each percentile q of 10, 20, …, 90, MoRF keeps the pixels whose map value is below the
/// map's q-th percentile and imputes the rest (<see cref="NoisyLinearImputation"/>); LeRF does the same with 1 − map.
/// Each score is the mean over q of p(imputed) − p(original), on the class's softmax probability; combined = (LeRF − MoRF) / 2.
/// </summary>
public static class Road
{
    /// <summary>The percentiles averaged over.</summary>
    public static IReadOnlyList<int> Percentiles { get; } = [10, 20, 30, 40, 50, 60, 70, 80, 90];

    /// <summary>Forward passes one map costs.</summary>
    public static int ForwardsPerMap => 2 * Percentiles.Count;

    /// <summary>MoRF, LeRF and combined for <paramref name="map"/> (H·W in [0, 1]) on <paramref name="input"/> (1×C×H×W).</summary>
    public static (double Morf, double Lerf, double Combined) Compute(ProbabilityScorer scorer, Tensor input, ReadOnlySpan<float> map,
        long classIndex, double probability, ulong seed)
    {
        int h = (int)input.shape[2], w = (int)input.shape[3];
        float[] inverse = new float[map.Length];
        for (int i = 0; i < map.Length; i++)
            inverse[i] = 1f - map[i];
        var masks = new List<float[]>();
        foreach (int q in Percentiles)
            masks.Add(KeepBelow(map, Percentile(map, q)));
        foreach (int q in Percentiles)
            masks.Add(KeepBelow(inverse, Percentile(inverse, q)));
        double[] scores;
        using (DisposeScope scope = torch.NewDisposeScope())
        using (torch.no_grad())
        {
            Tensor known = torch.tensor(masks.SelectMany(m => m).ToArray(), device: input.device).reshape(masks.Count, 1, h, w);
            using var generator = new torch.Generator(seed, torch.CPU);
            Tensor imputed = NoisyLinearImputation.Impute(input.expand(masks.Count, -1, -1, -1), known, generator);
            scores = scorer.Probabilities(imputed, classIndex);
        }
        int n = Percentiles.Count;
        double morf = scores.Take(n).Average() - probability, lerf = scores.Skip(n).Average() - probability;
        return (morf, lerf, (lerf - morf) / 2);
    }

    /// <summary>1 where <paramref name="map"/> &lt; <paramref name="threshold"/> (kept), 0 elsewhere (imputed).</summary>
    public static float[] KeepBelow(ReadOnlySpan<float> map, double threshold)
    {
        var keep = new float[map.Length];
        for (int i = 0; i < map.Length; i++)
            keep[i] = map[i] < threshold ? 1f : 0f;
        return keep;
    }

    /// <summary>The q-th percentile with linear interpolation between order statistics (numpy's default).</summary>
    public static double Percentile(ReadOnlySpan<float> values, double q)
    {
        float[] sorted = values.ToArray();
        Array.Sort(sorted);
        double position = q / 100 * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * ((double)sorted[upper] - sorted[lower]);
    }
}
