using System.Globalization;
using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Runtime;
using CamStudio.Web.Access;
using Microsoft.AspNetCore.Http.Features;

namespace CamStudio.Web.Studio;

/// <summary>
/// <c>POST /api/evaluate</c> and <c>POST /api/recommend</c>: the fields of <c>/api/explain</c> (image, model, methods,
/// classes, layer) plus the metric settings, parsed here and understood by the engine
/// (<see cref="CamEngine.EvaluateAsync"/>, <see cref="CamEngine.RecommendAsync"/>); every refusal an RFC 7807 problem.
/// </summary>
public static class StudioMetricsApi
{
    public static IEndpointRouteBuilder MapStudioMetricsApi(this IEndpointRouteBuilder routes)
    {
        RouteGroupBuilder api = routes.MapGroup("/api");
        api.MapPost("/evaluate", EvaluateAsync).DisableAntiforgery();
        api.MapPost("/recommend", RecommendAsync).DisableAntiforgery();
        return routes;
    }

    private static Task<IResult> EvaluateAsync(HttpContext context, IStudioEngine engine, StudioPictures pictures, ILoggerFactory loggers,
        CancellationToken cancellationToken) =>
        RunAsync(context, pictures, loggers, cancellationToken, async (form, photo, owner, progress) =>
        {
            var request = new EvaluateRequest
            {
                Request = CamRequestOf(form, owner, defaultMethods: "gradcam"),
                Metrics = List(form, "metrics"),
                Baselines = Flag(form, "baselines"),
                Box = StudioApi.Field(form, "box") is { } box ? PhotoBox.Parse(box) : null,
                Steps = Integer(form, "steps", 20),
                Baseline = StudioApi.Field(form, "baseline"),
            };
            EngineEvaluation result = await engine.EvaluateAsync(request, [photo.Pixels], progress, cancellationToken);
            PhotoEvaluation evaluated = result.Photos[0];
            return new EvaluateResponse(result.ModelName, result.Layer, result.Metrics, PlacementResponse.Of(evaluated.Placement),
                evaluated.TopPredictions.Select(p => new PredictionResponse(p.ClassIndex, p.ClassName, p.Probability)).ToList(),
                evaluated.Maps.Select(ScoredMapResponse.Of).ToList(),
                result.Summary.Select(MethodSummaryResponse.Of).ToList(), result.TotalMs);
        });

    private static Task<IResult> RecommendAsync(HttpContext context, IStudioEngine engine, StudioPictures pictures, ILoggerFactory loggers,
        CancellationToken cancellationToken) =>
        RunAsync(context, pictures, loggers, cancellationToken, async (form, photo, owner, progress) =>
        {
            string scoreText = StudioApi.Field(form, "score") ?? "insertion-deletion";
            RecommendScore score = scoreText.ToLowerInvariant() switch
            {
                "insertion-deletion" => RecommendScore.InsertionMinusDeletion,
                "road" => RecommendScore.RoadCombined,
                _ => throw new CamRequestException(CamRequestErrorKind.InvalidValue, "score", $"Unknown score '{scoreText}'; give insertion-deletion or road."),
            };
            var request = new RecommendRequest
            {
                Request = CamRequestOf(form, owner, defaultMethods: null) with { Layer = null },
                Layers = List(form, "layers") ?? (StudioApi.Field(form, "layer") is { } one ? [one] : []),
                LastLayers = Integer(form, "lastLayers", 4),
                Score = score,
                Steps = Integer(form, "steps", 20),
                Baseline = StudioApi.Field(form, "baseline"),
            };
            EngineRecommendation result = await engine.RecommendAsync(request, [photo.Pixels], progress, cancellationToken);
            return new RecommendResponse(result.ModelName, score == RecommendScore.RoadCombined ? "road_combined" : "insertion_auc - deletion_auc",
                result.Layers, result.Ranked.Select(r => new RecommendationResponse(r.Rank, r.Method, r.Layer, Finite(r.Score), Finite(r.DeletionAuc),
                    Finite(r.InsertionAuc), Finite(r.RoadCombined), r.IsBaseline)).ToList(), result.TotalMs);
        });

    /// <summary>Reads the form and the photo, runs <paramref name="run"/>, and turns every failure into a problem (streamed with <c>?progress=ndjson</c>).</summary>
    private static async Task<IResult> RunAsync(HttpContext context, StudioPictures pictures, ILoggerFactory loggers, CancellationToken cancellationToken,
        Func<IFormCollection, StudioPhoto, string, ExplainProgressStream?, Task<object>> run)
    {
        ILogger logger = loggers.CreateLogger(typeof(StudioMetricsApi));
        PhotoLimits limits = pictures.Limits;
        if (!context.Request.HasFormContentType)
            return Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Expected a multipart form",
                detail: "Send multipart/form-data with the photo in a field named 'image' (e.g. curl -F image=@photo.jpg).");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
            bodySize.MaxRequestBodySize = limits.MaxBytes + 1024 * 1024;
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limits.MaxBytes + 1024 * 1024 }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or InvalidOperationException or BadHttpRequestException or FormatException)
        {
            bool tooLarge = ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }
                || ex.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase);
            return tooLarge
                ? Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Photo too large",
                    detail: $"The request is larger than the {limits.MaxBytes / (1024 * 1024)} MB limit for a photo.")
                : Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Malformed form",
                    detail: "The request body is not a readable multipart/form-data form (send the photo as a file field named 'image').");
        }
        IFormFile? image = form.Files.GetFile("image");
        if (image is null)
            return ApiProblems.Validation(CamRequestFields.Image, "Missing image", "The photo must be sent in a file field named 'image'.", StatusCodes.Status400BadRequest).Result;
        if (image.Length > limits.MaxBytes)
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Photo too large",
                detail: $"{image.FileName} is larger than the {limits.MaxBytes / (1024 * 1024)} MB limit for a photo.");

        string owner = StudioCaller.FromPrincipal(context.User)?.SessionId ?? StudioCaller.HostSessionId;
        ExplainProgressStream? progress = StudioApi.WantsProgress(context) ? await ExplainProgressStream.StartAsync(context.Response, cancellationToken) : null;
        try
        {
            StudioPhoto photo;
            await using (Stream upload = image.OpenReadStream())
                photo = await pictures.DecodePhotoAsync(image.FileName, upload, cancellationToken);
            object response;
            using (photo)
                response = await run(form, photo, owner, progress);
            if (progress is not null)
            {
                await progress.FinishAsync(new { result = response });
                return Results.Empty;
            }
            return Results.Ok(response);
        }
        catch (Exception ex) when (StudioApi.ToProblem(ex, context, logger, image.FileName) is { } problem)
        {
            if (progress is null)
                return problem.Result;
            await progress.FinishAsync(new { error = problem.Details });
            return Results.Empty;
        }
    }

    private static CamRequest CamRequestOf(IFormCollection form, string owner, string? defaultMethods) => new()
    {
        Model = StudioApi.Field(form, "model"),
        Methods = (StudioApi.Field(form, "methods") ?? defaultMethods ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Take(StudioApi.MaxMethods + 1).ToList() is { Count: <= StudioApi.MaxMethods } methods
            ? methods
            : throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Methods, $"Give at most {StudioApi.MaxMethods} methods."),
        Classes = StudioApi.Field(form, "classes") is { } classes && StudioApi.RequestedClassCount(classes) > StudioApi.MaxClasses
            ? throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Classes, $"At most {StudioApi.MaxClasses} classes per request.")
            : StudioApi.Field(form, "classes"),
        Layer = StudioApi.Field(form, "layer"),
        Options = MethodOptionText.Parse(form["options"].ToArray()),
        Priority = WorkPriority.Batch,
        Owner = owner,
    };

    private static IReadOnlyList<string>? List(IFormCollection form, string name) =>
        StudioApi.Field(form, name)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Flag(IFormCollection form, string name) =>
        StudioApi.Field(form, name) is { } text && (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text == "1" || text.Equals("on", StringComparison.OrdinalIgnoreCase));

    private static int Integer(IFormCollection form, string name, int fallback)
    {
        string? text = StudioApi.Field(form, name);
        if (text is null)
            return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new CamRequestException(CamRequestErrorKind.InvalidValue, name, $"'{name}' must be a whole number, got '{text}'.");
    }

    internal static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;
}

public sealed record EvaluateResponse(string Model, string Layer, IReadOnlyList<string> Metrics, PlacementResponse Placement,
    IReadOnlyList<PredictionResponse> Predictions, IReadOnlyList<ScoredMapResponse> Maps, IReadOnlyList<MethodSummaryResponse> Summary, double TotalMs);

/// <summary>One scored map: the metrics (null where not computed), the curves, the sanity checks, and the normalised map as a base64 .npy.</summary>
public sealed record ScoredMapResponse(string Method, int ClassIndex, string ClassName, string Layer, bool IsBaseline, double Probability,
    double? DeletionAuc, double? InsertionAuc, double? AvgDrop, bool? Increase, double? RoadMorf, double? RoadLerf, double? RoadCombined,
    bool? PointingHit, double? EnergyPointing, IReadOnlyList<double>? Fractions, IReadOnlyList<double>? DeletionCurve,
    IReadOnlyList<double>? InsertionCurve, SanityResponse? Sanity, string Npy)
{
    public static ScoredMapResponse Of(EvaluatedMap m)
    {
        MapScores s = m.Scores;
        static IReadOnlyList<double>? Curve(IReadOnlyList<double>? c) => c?.Select(v => StudioMetricsApi.Finite(v) ?? 0).ToList();
        return new ScoredMapResponse(m.Method, m.ClassIndex, m.ClassName, m.Layer, m.IsBaseline, m.Probability, StudioMetricsApi.Finite(s.DeletionAuc),
            StudioMetricsApi.Finite(s.InsertionAuc), StudioMetricsApi.Finite(s.AverageDrop), s.Increase, StudioMetricsApi.Finite(s.RoadMorf),
            StudioMetricsApi.Finite(s.RoadLerf), StudioMetricsApi.Finite(s.RoadCombined), s.PointingHit, StudioMetricsApi.Finite(s.EnergyPointing),
            Curve(s.Fractions), Curve(s.DeletionCurve), Curve(s.InsertionCurve),
            s.Sanity is { } z ? new SanityResponse(z.Passes, SanityCheck.PassThreshold, StudioMetricsApi.Finite(z.Spearman), StudioMetricsApi.Finite(z.Ssim),
                z.RandomClass, StudioMetricsApi.Finite(z.RandomClassSpearman), StudioMetricsApi.Finite(z.RandomClassSsim),
                z.Stages.Select(x => new SanityStageResponse(x.RandomisedGroups, StudioMetricsApi.Finite(x.Spearman), StudioMetricsApi.Finite(x.Ssim))).ToList())
                : null,
            Convert.ToBase64String(MapFiles.NormalisedNpy(m.Map)));
    }
}

public sealed record SanityResponse(bool Passes, double Threshold, double? Spearman, double? Ssim, int RandomClass, double? RandomClassSpearman,
    double? RandomClassSsim, IReadOnlyList<SanityStageResponse> Stages);

public sealed record SanityStageResponse(int RandomisedGroups, double? Spearman, double? Ssim);

/// <summary>Per method: mean and sd of each metric ("mean ± sd" as numbers).</summary>
public sealed record MethodSummaryResponse(string Method, string Layer, int Maps, IReadOnlyDictionary<string, StatisticResponse> Metrics)
{
    public static MethodSummaryResponse Of(MethodSummary s)
    {
        var metrics = new Dictionary<string, StatisticResponse>();
        void Add(string name, MetricStatistic? value)
        {
            if (value is not null)
                metrics[name] = new StatisticResponse(StudioMetricsApi.Finite(value.Mean), StudioMetricsApi.Finite(value.StandardDeviation), value.Count);
        }
        Add("deletion_auc", s.DeletionAuc);
        Add("insertion_auc", s.InsertionAuc);
        Add("avg_drop", s.AverageDrop);
        Add("increase", s.Increase);
        Add("road_morf", s.RoadMorf);
        Add("road_lerf", s.RoadLerf);
        Add("road_combined", s.RoadCombined);
        Add("pointing_hit", s.PointingHit);
        Add("energy_pointing", s.EnergyPointing);
        Add("sanity_spearman", s.SanitySpearman);
        Add("sanity_ssim", s.SanitySsim);
        return new MethodSummaryResponse(s.Method, s.Layer, s.Maps, metrics);
    }
}

public sealed record StatisticResponse(double? Mean, double? Sd, int Count);

public sealed record RecommendResponse(string Model, string Score, IReadOnlyList<string> Layers, IReadOnlyList<RecommendationResponse> Ranked, double TotalMs);

public sealed record RecommendationResponse(int Rank, string Method, string Layer, double? Score, double? DeletionAuc, double? InsertionAuc,
    double? RoadCombined, bool IsBaseline);
