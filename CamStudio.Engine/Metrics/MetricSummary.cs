namespace CamStudio.Engine.Metrics;

/// <summary>Mean and sample standard deviation of one metric over a set of maps.</summary>
/// <param name="Mean">The mean.</param>
/// <param name="StandardDeviation">Sample standard deviation (0 for one value).</param>
/// <param name="Count">How many values.</param>
public sealed record MetricStatistic(double Mean, double StandardDeviation, int Count)
{
    public static MetricStatistic? Of(IEnumerable<double?> values)
    {
        double[] v = values.Where(x => x is { } d && double.IsFinite(d)).Select(x => x!.Value).ToArray();
        if (v.Length == 0)
            return null;
        double mean = v.Average();
        double sd = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return new MetricStatistic(mean, sd, v.Length);
    }

    public override string ToString() => $"{Mean:0.####} ± {StandardDeviation:0.####}";
}

/// <summary>Per method (and layer) statistics of every metric; Average Drop and Increase as fractions (× 100 for %).</summary>
public sealed record MethodSummary(string Method, string Layer, int Maps, MetricStatistic? DeletionAuc, MetricStatistic? InsertionAuc,
    MetricStatistic? AverageDrop, MetricStatistic? Increase, MetricStatistic? RoadMorf, MetricStatistic? RoadLerf, MetricStatistic? RoadCombined,
    MetricStatistic? PointingHit, MetricStatistic? EnergyPointing, MetricStatistic? SanitySpearman, MetricStatistic? SanitySsim);

/// <summary>Groups scored maps by method and layer into <see cref="MethodSummary"/> rows.</summary>
public static class MetricSummary
{
    public static IReadOnlyList<MethodSummary> Of(IEnumerable<(string Method, string Layer, MapScores Scores)> maps) => maps
        .GroupBy(m => (m.Method, m.Layer))
        .Select(g =>
        {
            var s = g.Select(m => m.Scores).ToList();
            return new MethodSummary(g.Key.Method, g.Key.Layer, s.Count,
                MetricStatistic.Of(s.Select(x => x.DeletionAuc)), MetricStatistic.Of(s.Select(x => x.InsertionAuc)),
                MetricStatistic.Of(s.Select(x => x.AverageDrop)), MetricStatistic.Of(s.Select(x => x.Increase is { } b ? (b ? 1.0 : 0.0) : (double?)null)),
                MetricStatistic.Of(s.Select(x => x.RoadMorf)), MetricStatistic.Of(s.Select(x => x.RoadLerf)), MetricStatistic.Of(s.Select(x => x.RoadCombined)),
                MetricStatistic.Of(s.Select(x => x.PointingHit is { } h ? (h ? 1.0 : 0.0) : (double?)null)), MetricStatistic.Of(s.Select(x => x.EnergyPointing)),
                MetricStatistic.Of(s.Select(x => x.Sanity?.Spearman)), MetricStatistic.Of(s.Select(x => x.Sanity?.Ssim)));
        })
        .ToList();
}
