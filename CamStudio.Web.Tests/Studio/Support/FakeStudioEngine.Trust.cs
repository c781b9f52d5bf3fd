using System.Collections.Concurrent;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Metrics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// The scripted engine's metrics and recommender (the Trust tab): fixed numbers a test can look for on the page, a
/// gate and a progress report for the long work, and the engine's box refusal (a box outside the photo).
/// </summary>
public sealed partial class FakeStudioEngine
{
    /// <summary>What the method's map scores; the baselines score <see cref="BaselineScores"/>.</summary>
    public MapScores MethodScores { get; set; } = Scores(deletion: 0.069, insertion: 0.542, drop: 0.102, morf: 0.21, lerf: 0.48, sanity: Sanity(passes: true));

    /// <summary>Scores of other methods than the first asked for (the grid's columns); missing: <see cref="MethodScores"/>.</summary>
    public Dictionary<string, MapScores> OtherMethodScores { get; } = [];

    public Dictionary<string, MapScores> BaselineScores { get; } = new()
    {
        [MetricNames.BaselineRandom] = Scores(0.366, 0.160, 0.543, 0.40, 0.30, null),
        [MetricNames.BaselineCentre] = Scores(0.079, 0.434, 0.144, 0.25, 0.41, null),
        [MetricNames.BaselineSobel] = Scores(0.103, 0.242, 0.947, 0.33, 0.35, null),
    };

    public ConcurrentQueue<EvaluateRequest> EvaluateRequests { get; } = new();

    public ConcurrentQueue<CancellationToken> EvaluateTokens { get; } = new();

    public TaskCompletionSource? EvaluateGate { get; set; }

    public ExplainProgress? EvaluateProgressToReport { get; set; }

    public Exception? EvaluateFailure { get; set; }

    /// <summary>When set, a request with sanity checks is refused on "metrics" with this message (a model without weight randomisation).</summary>
    public string? SanityRefusal { get; set; }

    public ConcurrentQueue<RecommendRequest> RecommendRequests { get; } = new();

    public ConcurrentQueue<CancellationToken> RecommendTokens { get; } = new();

    public TaskCompletionSource? RecommendGate { get; set; }

    public ExplainProgress? RecommendProgressToReport { get; set; }

    /// <summary>The ranking the sweep returns: Grad-CAM++ at features.17 first.</summary>
    public IReadOnlyList<Recommendation> Ranking { get; set; } =
    [
        new(1, "gradcampp", "features.17", 0.512, 0.071, 0.583, null, false),
        new(2, "gradcam", "features.18", 0.473, 0.069, 0.542, null, false),
        new(3, MetricNames.BaselineCentre, "", 0.355, 0.079, 0.434, null, true),
        new(4, "cam", "features.18", 0.201, 0.150, 0.351, null, false),
        new(5, MetricNames.BaselineSobel, "", 0.139, 0.103, 0.242, null, true),
        new(6, MetricNames.BaselineRandom, "", -0.206, 0.366, 0.160, null, true),
    ];

    public static readonly IReadOnlyList<double> CurveFractions = [0, 0.5, 1];

    public static MapScores Scores(double deletion, double insertion, double drop, double morf, double lerf, SanityResult? sanity) => new()
    {
        Fractions = CurveFractions,
        DeletionCurve = [0.61, deletion, 0.01],
        InsertionCurve = [0.01, insertion, 0.61],
        DeletionAuc = deletion,
        InsertionAuc = insertion,
        AverageDrop = drop,
        Increase = false,
        RoadMorf = morf,
        RoadLerf = lerf,
        RoadCombined = (lerf - morf) / 2,
        Sanity = sanity,
    };

    /// <summary>Five stages over 10 weight groups; the verdict's stage (5 of 10) has Spearman 0.12 (passes) or 0.93 (fails).</summary>
    public static SanityResult Sanity(bool passes)
    {
        double[] spearman = passes ? [0.91, 0.12, 0.05, 0.02, 0.01] : [0.99, 0.93, 0.90, 0.88, 0.86];
        var stages = spearman.Select((s, i) => new SanityStage(2 * (i + 1), s, s * 0.8)).ToList();
        return new SanityResult(stages, 10, spearman[1], spearman[1] * 0.8, passes, TigerCat, 0.33, 0.27);
    }

    public async Task<EngineEvaluation> EvaluateAsync(EvaluateRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        EvaluateRequests.Enqueue(request);
        EvaluateTokens.Enqueue(cancellationToken);
        if (EvaluateProgressToReport is { } report)
            progress?.Report(report);
        if (EvaluateGate is { } gate)
            await gate.Task.WaitAsync(cancellationToken);
        if (EvaluateFailure is { } failure)
            throw failure;
        var metrics = request.Metrics ?? MetricNames.Default;
        if (SanityRefusal is { } refusal && metrics.Contains(MetricNames.Sanity))
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Metrics, refusal);
        // The engine's own check, worded as it words it.
        int width = photos[0].Width, height = photos[0].Height;
        if (request.Box is { } b && (b.X0 < 0 || b.Y0 < 0 || b.X1 > width || b.Y1 > height || b.X0 >= b.X1 || b.Y0 >= b.Y1))
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Box,
                $"Box {b} is not inside the {width}×{height} photo: give 0 ≤ x0 < x1 ≤ {width} and 0 ≤ y0 < y1 ≤ {height}.");
        int classIndex = request.Request.ClassSelection is ClassSelection.Indices { Classes.Count: > 0 } picked ? picked.Classes[0] : BullMastiff;
        IReadOnlyList<int> classes = request.Request.ClassSelection is ClassSelection.Indices { Classes.Count: > 0 } all ? all.Classes : [classIndex];
        var maps = new List<EvaluatedMap>();
        foreach (int c in classes)
        {
            foreach ((string method, int rank) in request.Request.Methods.Select((m, i) => (m, i)))
            {
                MapScores own = rank > 0 && OtherMethodScores.TryGetValue(method, out MapScores? other) ? other : MethodScores;
                var pointing = request.Box is null ? own : own with { PointingHit = true, EnergyPointing = 0.42 };
                maps.Add(new EvaluatedMap(method, c, ClassNames[c], "features.18", false, 0.61,
                    new PlacedMap(MapFor(method, c), MapPlacement.WholePhoto, 224, 224), metrics.Contains(MetricNames.Sanity) ? pointing : pointing with { Sanity = null }));
            }
        }
        var placed = new PlacedMap(MapFor("baseline", classIndex), MapPlacement.WholePhoto, 224, 224);
        if (request.Baselines)
            maps.AddRange(BaselineScores.Select(p => new EvaluatedMap(p.Key, classIndex, ClassNames[classIndex], "", true, 0.61, placed,
                request.Box is null ? p.Value : p.Value with { PointingHit = false, EnergyPointing = 0.2 })));
        return new EngineEvaluation(request.Request.Model ?? DefaultModel, "features.18", metrics, [new PhotoEvaluation(Predictions, maps, MapPlacement.WholePhoto)], 5);
    }

    public async Task<EngineRecommendation> RecommendAsync(RecommendRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        RecommendRequests.Enqueue(request);
        RecommendTokens.Enqueue(cancellationToken);
        if (RecommendProgressToReport is { } report)
            progress?.Report(report);
        if (RecommendGate is { } gate)
            await gate.Task.WaitAsync(cancellationToken);
        return new EngineRecommendation(request.Request.Model ?? DefaultModel, request.Score, ["features.17", "features.18"], Ranking, [], 9);
    }
}
