namespace CamStudio.Engine.Metrics;

/// <summary>Every requested metric of one map; null where a metric was not asked for (or, for the pointing games, no box was given).</summary>
public sealed record MapScores
{
    /// <summary>Fractions of positions perturbed at each curve point (0 … 1).</summary>
    public IReadOnlyList<double>? Fractions { get; init; }

    /// <summary>Class probability as the top-ranked positions are deleted.</summary>
    public IReadOnlyList<double>? DeletionCurve { get; init; }

    /// <summary>Class probability as the top-ranked positions are restored onto the baseline.</summary>
    public IReadOnlyList<double>? InsertionCurve { get; init; }

    /// <summary>Area under <see cref="DeletionCurve"/> (lower is better).</summary>
    public double? DeletionAuc { get; init; }

    /// <summary>Area under <see cref="InsertionCurve"/> (higher is better).</summary>
    public double? InsertionAuc { get; init; }

    /// <summary>max(0, p − p_masked) / p for this photo (lower is better).</summary>
    public double? AverageDrop { get; init; }

    /// <summary>p_masked &gt; p.</summary>
    public bool? Increase { get; init; }

    /// <summary>ROAD most-relevant-first: mean change of p over the percentiles (lower is better).</summary>
    public double? RoadMorf { get; init; }

    /// <summary>ROAD least-relevant-first: mean change of p over the percentiles (higher is better).</summary>
    public double? RoadLerf { get; init; }

    /// <summary>(LeRF − MoRF) / 2 (higher is better).</summary>
    public double? RoadCombined { get; init; }

    /// <summary>The map's maximum lies in the box.</summary>
    public bool? PointingHit { get; init; }

    /// <summary>Share of the map's energy inside the box.</summary>
    public double? EnergyPointing { get; init; }

    /// <summary>The sanity checks.</summary>
    public SanityResult? Sanity { get; init; }
}

/// <summary>One stage of the cascading randomisation.</summary>
/// <param name="RandomisedGroups">Weight groups re-initialised (from the output end).</param>
/// <param name="Spearman">Rank correlation with the original map.</param>
/// <param name="Ssim">Structural similarity with the original map.</param>
public sealed record SanityStage(int RandomisedGroups, double Spearman, double Ssim);

/// <summary>The sanity checks of one map.</summary>
/// <param name="Stages">The cascade, fewest layers randomised first.</param>
/// <param name="WeightGroups">Weight groups the model has.</param>
/// <param name="Spearman">Spearman at the first stage with at least half the groups randomised (the verdict's stage).</param>
/// <param name="Ssim">SSIM at that stage.</param>
/// <param name="Passes">True when <paramref name="Spearman"/> &lt; <see cref="SanityCheck.PassThreshold"/>.</param>
/// <param name="RandomClass">The other class of the random-class test, or -1 when the model has one class.</param>
/// <param name="RandomClassSpearman">Spearman between the map of <paramref name="RandomClass"/> and this map.</param>
/// <param name="RandomClassSsim">SSIM between them.</param>
public sealed record SanityResult(IReadOnlyList<SanityStage> Stages, int WeightGroups, double Spearman, double Ssim, bool Passes,
    int RandomClass, double RandomClassSpearman, double RandomClassSsim);
