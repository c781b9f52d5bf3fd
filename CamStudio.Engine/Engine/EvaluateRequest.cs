using CamStudio.Engine.Metrics;

namespace CamStudio.Engine;

/// <summary>
/// "How faithful are these maps?": a <see cref="CamRequest"/> plus the metrics to score its maps with, as the user gave
/// them; <see cref="CamEngine.EvaluateAsync"/> checks everything once, before any photo is touched.
/// </summary>
public sealed record EvaluateRequest
{
    /// <summary>Model, methods, classes, layer and options of the maps to score.</summary>
    public CamRequest Request { get; init; } = new();

    /// <summary>Metric ids (<see cref="MetricNames.All"/>, case-insensitive); null or empty: <see cref="MetricNames.Default"/>.</summary>
    public IReadOnlyList<string>? Metrics { get; init; }

    /// <summary>Also score the three baseline maps (<see cref="MetricNames.Baselines"/>).</summary>
    public bool Baselines { get; init; }

    /// <summary>Deletion/insertion intervals (1 … <see cref="EvaluationLimits.MaxSteps"/>).</summary>
    public int Steps { get; init; } = 20;

    /// <summary>What deleted positions become: "zeros" (default), "blur" or "mean".</summary>
    public string? Baseline { get; init; }

    /// <summary>The object's box on every photo, in photo pixels; turns on the pointing games.</summary>
    public PhotoBox? Box { get; init; }

    /// <summary>Stages of the cascading randomisation (1 … <see cref="EvaluationLimits.MaxSanityStages"/>).</summary>
    public int SanityStages { get; init; } = 5;

    /// <summary>Seed of every random choice.</summary>
    public ulong Seed { get; init; } = 2018;
}

/// <summary>A box on a photo in pixels: left, top (inclusive), right, bottom (exclusive).</summary>
public sealed record PhotoBox(int X0, int Y0, int X1, int Y1)
{
    /// <summary>"x0,y0,x1,y1" (as the CLI and API take it); a <see cref="CamRequestException"/> on "box" when malformed.</summary>
    public static PhotoBox Parse(string text)
    {
        string[] parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4 || !parts.All(p => int.TryParse(p, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _)))
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Box,
                $"A box is four whole numbers x0,y0,x1,y1 in photo pixels, got '{text}'.");
        int[] v = parts.Select(p => int.Parse(p, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return new PhotoBox(v[0], v[1], v[2], v[3]);
    }

    public override string ToString() => $"{X0},{Y0},{X1},{Y1}";
}

/// <summary>The limits an evaluation's settings are checked against.</summary>
public static class EvaluationLimits
{
    /// <summary>Most deletion/insertion steps.</summary>
    public const int MaxSteps = 1000;

    /// <summary>Most randomisation stages.</summary>
    public const int MaxSanityStages = 50;

    /// <summary>Most layers one recommendation sweeps.</summary>
    public const int MaxLayers = 16;
}

/// <summary>What a recommendation ranks by.</summary>
public enum RecommendScore
{
    /// <summary>Insertion AUC − deletion AUC (default).</summary>
    InsertionMinusDeletion,

    /// <summary>ROAD combined, (LeRF − MoRF) / 2.</summary>
    RoadCombined,
}

/// <summary>
/// "Which layer and method should I use?": the fast methods (plus any in <see cref="CamRequest.Methods"/>, slow ones
/// included) × the last <see cref="LastLayers"/> spatial layers (plus <see cref="Layers"/>), each pair scored and ranked
/// with the baselines (<see cref="CamEngine.RecommendAsync"/>).
/// </summary>
public sealed record RecommendRequest
{
    /// <summary>Model, classes, extra methods and options; its <see cref="CamRequest.Layer"/> is swept like <see cref="Layers"/>.</summary>
    public CamRequest Request { get; init; } = new();

    /// <summary>How many of the model's last spatial layers (up to its auto layer) to sweep.</summary>
    public int LastLayers { get; init; } = 4;

    /// <summary>More layers to sweep, by name.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>The ranking score.</summary>
    public RecommendScore Score { get; init; } = RecommendScore.InsertionMinusDeletion;

    /// <summary>Deletion/insertion intervals.</summary>
    public int Steps { get; init; } = 20;

    /// <summary>"zeros" (default), "blur" or "mean".</summary>
    public string? Baseline { get; init; }

    /// <summary>Seed of every random choice.</summary>
    public ulong Seed { get; init; } = 2018;
}
