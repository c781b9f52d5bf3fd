namespace CamStudio.Engine.Metrics;

/// <summary>The metric ids requests use ("deletion", "road", ...), and the baselines' method names.</summary>
public static class MetricNames
{
    /// <summary>Deletion curve and AUC (<see cref="DeletionInsertion"/>).</summary>
    public const string Deletion = "deletion";

    /// <summary>Insertion curve and AUC (<see cref="DeletionInsertion"/>).</summary>
    public const string Insertion = "insertion";

    /// <summary>Average Drop (<see cref="ConfidenceChange"/>).</summary>
    public const string Drop = "drop";

    /// <summary>Increase in Confidence (<see cref="ConfidenceChange"/>).</summary>
    public const string Increase = "increase";

    /// <summary>ROAD MoRF, LeRF and combined (<see cref="Road"/>).</summary>
    public const string Road = "road";

    /// <summary>Pointing game and energy-based pointing game, when a box is given (<see cref="PointingGame"/>).</summary>
    public const string Pointing = "pointing";

    /// <summary>Cascading randomisation and the random-class test (<see cref="SanityCheck"/>).</summary>
    public const string Sanity = "sanity";

    /// <summary>Every metric, in report order.</summary>
    public static IReadOnlyList<string> All { get; } = [Deletion, Insertion, Drop, Increase, Road, Pointing, Sanity];

    /// <summary>What a request without a metric list gets: the cheap perturbation metrics.</summary>
    public static IReadOnlyList<string> Default { get; } = [Deletion, Insertion, Drop, Increase];

    /// <summary>The method name of the uniform-noise baseline map.</summary>
    public const string BaselineRandom = "baseline-random";

    /// <summary>The method name of the centred-Gaussian baseline map.</summary>
    public const string BaselineCentre = "baseline-centre";

    /// <summary>The method name of the Sobel-edges baseline map.</summary>
    public const string BaselineSobel = "baseline-sobel";

    /// <summary>The baselines, in report order.</summary>
    public static IReadOnlyList<string> Baselines { get; } = [BaselineRandom, BaselineCentre, BaselineSobel];
}
