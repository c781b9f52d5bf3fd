using System.Globalization;
using CamStudio.Engine.Metrics;

namespace CamStudio.Web.Studio;

/// <summary>Which way a metric is better, so the panel can mark the column that wins a row.</summary>
public enum Better
{
    Lower,
    Higher,
}

/// <summary>
/// One row of the Trust panel's table: a metric's name, what it means, how its engine value reads, and which way is
/// better (as <see cref="MapScores"/> documents it). Only formatting and comparison happen here; the values are the engine's.
/// </summary>
public sealed record TrustRow(string Id, string Label, string Hint, Func<MapScores, double?> Value, Func<double, string> Format, Better Better, bool Compares = true)
{
    /// <summary>Every row in display order; a row shows when the method's map has a value for it.</summary>
    public static IReadOnlyList<TrustRow> All { get; } =
    [
        new("deletion", "Deletion AUC", "probability as the most salient pixels are removed: lower is better", s => s.DeletionAuc, Fixed, Better.Lower),
        new("insertion", "Insertion AUC", "probability as the most salient pixels are restored: higher is better", s => s.InsertionAuc, Fixed, Better.Higher),
        new("drop", "Average Drop", "confidence lost on the photo × map: lower is better", s => s.AverageDrop, Percent, Better.Lower),
        new("increase", "Increase in confidence", "the photo × map is more confident than the photo", s => s.Increase is { } b ? (b ? 1 : 0) : null, YesNo, Better.Higher, Compares: false),
        new("road_morf", "ROAD MoRF", "most relevant first, with noisy imputation: lower is better", s => s.RoadMorf, Fixed, Better.Lower),
        new("road_lerf", "ROAD LeRF", "least relevant first: higher is better", s => s.RoadLerf, Fixed, Better.Higher),
        new("road_combined", "ROAD combined", "(LeRF − MoRF) / 2: higher is better", s => s.RoadCombined, Fixed, Better.Higher),
        new("pointing_hit", "Pointing game", "the map's peak lies in the box", s => s.PointingHit is { } h ? (h ? 1 : 0) : null, HitMiss, Better.Higher, Compares: false),
        new("energy_pointing", "Energy pointing", "share of the map's energy inside the box: higher is better", s => s.EnergyPointing, Percent, Better.Higher),
    ];

    /// <summary>The row's cell for <paramref name="scores"/>, or "—" when the metric was not computed.</summary>
    public string Cell(MapScores? scores) => scores is not null && Value(scores) is { } v && double.IsFinite(v) ? Format(v) : "—";

    /// <summary>True when <paramref name="method"/> is strictly better than every baseline on this row.</summary>
    public bool BeatsAll(MapScores method, IEnumerable<MapScores> baselines)
    {
        if (!Compares || Value(method) is not { } m || !double.IsFinite(m))
            return false;
        var others = baselines.Select(Value).Where(v => v is { } d && double.IsFinite(d)).Select(v => v!.Value).ToList();
        return others.Count > 0 && others.All(b => Better == Better.Lower ? m < b : m > b);
    }

    private static string Fixed(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Percent(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string YesNo(double v) => v > 0 ? "yes" : "no";

    private static string HitMiss(double v) => v > 0 ? "hit" : "miss";
}
