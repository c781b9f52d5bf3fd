namespace CamStudio.Engine.Metrics;

/// <summary>What replaces perturbed positions of the input in deletion and insertion.</summary>
public enum PerturbationBaseline
{
    /// <summary>Zeros of the normalised input (TorchCAM's default).</summary>
    Zeros,

    /// <summary>The input blurred with a Gaussian, σ = 5 px, 11×11 kernel.</summary>
    Blur,

    /// <summary>Each channel's mean over the input.</summary>
    Mean,
}

/// <summary>A box on the model's input in pixels, [X0, X1) × [Y0, Y1).</summary>
public sealed record InputBox(int X0, int Y0, int X1, int Y1)
{
    public bool Contains(int x, int y) => x >= X0 && x < X1 && y >= Y0 && y < Y1;
}

/// <summary>Which metrics to compute and with what settings; checked by the engine before any torch work.</summary>
public sealed record MetricOptions
{
    /// <summary>Metric ids (<see cref="MetricNames"/>).</summary>
    public IReadOnlySet<string> Metrics { get; init; } = new HashSet<string>(MetricNames.Default, StringComparer.Ordinal);

    /// <summary>Deletion/insertion intervals: step = ⌈HW / Steps⌉ positions.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>What deleted positions become.</summary>
    public PerturbationBaseline Baseline { get; init; } = PerturbationBaseline.Zeros;

    /// <summary>The object's box for the pointing games (input pixels), or null.</summary>
    public InputBox? Box { get; init; }

    /// <summary>Stages of the cascading randomisation.</summary>
    public int SanityStages { get; init; } = 5;

    /// <summary>Seed of every random choice (baseline noise, ROAD noise, re-initialised weights, the random class).</summary>
    public ulong Seed { get; init; } = 2018;

    public bool Has(string metric) => Metrics.Contains(metric);
}
