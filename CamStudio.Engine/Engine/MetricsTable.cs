using System.Globalization;

namespace CamStudio.Engine;

/// <summary>
/// The one tabular form of scored maps, shared by the CLI's metrics.csv, the jobs' results.csv and the API: the
/// column names and each map's cells (invariant culture; empty where a metric was not computed; booleans 1/0).
/// </summary>
public static class MetricsTable
{
    /// <summary>The per-map columns after photo, method, class and layer.</summary>
    public static IReadOnlyList<string> MetricColumns { get; } =
        ["deletion_auc", "insertion_auc", "avg_drop", "increase", "road_morf", "road_lerf", "road_combined", "pointing_hit", "energy_pointing",
         "sanity_spearman", "sanity_ssim"];

    /// <summary>metrics.csv's header.</summary>
    public static IReadOnlyList<string> Header { get; } = ["photo", "method", "class", "layer", .. MetricColumns];

    /// <summary>The recommendation table's header.</summary>
    public static IReadOnlyList<string> RecommendHeader { get; } = ["rank", "method", "layer", "score", "deletion_auc", "insertion_auc"];

    /// <summary>One map's <see cref="MetricColumns"/> cells.</summary>
    public static IReadOnlyList<string> MetricCells(EvaluatedMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return MetricCells(map.Scores);
    }

    /// <summary>One map's <see cref="MetricColumns"/> cells from its scores alone (a job keeps the scores, not the map).</summary>
    public static IReadOnlyList<string> MetricCells(Metrics.MapScores s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return [Number(s.DeletionAuc), Number(s.InsertionAuc), Number(s.AverageDrop), Flag(s.Increase), Number(s.RoadMorf), Number(s.RoadLerf),
            Number(s.RoadCombined), Flag(s.PointingHit), Number(s.EnergyPointing), Number(s.Sanity?.Spearman), Number(s.Sanity?.Ssim)];
    }

    /// <summary>A summary row's statistics named by <see cref="MetricColumns"/>, in that order (null where not computed).</summary>
    public static IReadOnlyList<(string Column, Metrics.MetricStatistic? Statistic)> Statistics(Metrics.MethodSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        Metrics.MetricStatistic?[] values = [s.DeletionAuc, s.InsertionAuc, s.AverageDrop, s.Increase, s.RoadMorf, s.RoadLerf, s.RoadCombined,
            s.PointingHit, s.EnergyPointing, s.SanitySpearman, s.SanitySsim];
        return [.. MetricColumns.Select((c, i) => (c, values[i]))];
    }

    /// <summary>A number as the tables write it (invariant, up to six decimals; empty when absent or not finite).</summary>
    public static string Cell(double? value) => Number(value);

    /// <summary>One metrics.csv row.</summary>
    public static IReadOnlyList<string> Row(string photo, EvaluatedMap map) =>
        [photo, map.Method, map.ClassIndex.ToString(CultureInfo.InvariantCulture), map.Layer, .. MetricCells(map)];

    /// <summary>One recommend.csv row.</summary>
    public static IReadOnlyList<string> Row(Recommendation r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return [r.Rank.ToString(CultureInfo.InvariantCulture), r.Method, r.Layer, Number(r.Score), Number(r.DeletionAuc), Number(r.InsertionAuc)];
    }

    /// <summary>A CSV line: cells with a comma, quote or line break quoted (RFC 4180).</summary>
    public static string CsvLine(IEnumerable<string> cells) => string.Join(",", cells.Select(c =>
        c.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + c.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : c));

    private static string Number(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("0.######", CultureInfo.InvariantCulture) : "";

    private static string Flag(bool? value) => value is { } b ? (b ? "1" : "0") : "";
}
