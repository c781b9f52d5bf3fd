using CamStudio.Engine.Metrics;

namespace CamStudio.Engine;

/// <summary>
/// What an evaluation will compute, known before any photo: front ends that score photos later (batch jobs) check
/// the settings when they are given, with the same checks <see cref="CamEngine.EvaluateAsync"/> applies.
/// </summary>
/// <param name="Metrics">The metric ids that will be computed, in report order.</param>
/// <param name="ForwardsPerPhoto">Forward passes one photo's evaluation costs (the progress total).</param>
public sealed record EvaluationPlan(IReadOnlyList<string> Metrics, long ForwardsPerPhoto);

public sealed partial class CamEngine
{
    /// <summary>
    /// Checks <paramref name="request"/> as <see cref="EvaluateAsync"/> does (model, layer, methods, classes, metrics,
    /// steps, baseline, sanity support) without photos, so a bad setting is a <see cref="CamRequestException"/> naming
    /// its field at submission. A box cannot be checked without a photo: give it to <see cref="EvaluateAsync"/>. The
    /// metrics score each method's map at one layer, so fused layers and smoothing are refused here rather than
    /// scoring a different map than the one a front end shows.
    /// </summary>
    public async Task<EvaluationPlan> PlanEvaluationAsync(EvaluateRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CamRequest camRequest = request.Request ?? new CamRequest();
        if (camRequest.Layers is { Count: > 1 } || camRequest.AugSmooth || camRequest.EigenSmooth)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Metrics,
                "The metrics score each method's map at one layer, without fusion or smoothing: turn off fused layers, aug_smooth and eigen_smooth, or the metrics.");
        Unchecked plan = await ResolveAsync(camRequest, cancellationToken).ConfigureAwait(false);
        _ = await _executor.RunAsync(_ => plan.Check(TimeSpan.Zero), camRequest.Priority, camRequest.Owner, Runtime.WorkCost.Quick, cancellationToken)
            .ConfigureAwait(false);
        MetricOptions options = CheckMetrics(request, plan.Model);
        IReadOnlyList<string> metrics = MetricNames.All.Where(options.Has).Where(m => m != MetricNames.Pointing || request.Box is not null).ToList();
        return new EvaluationPlan(metrics, EvaluationForwards(plan, options, request.Baselines, photos: 1));
    }

    /// <summary>Forward passes an evaluation of <paramref name="photos"/> photos costs: its progress total.</summary>
    private static long EvaluationForwards(Unchecked plan, MetricOptions options, bool baselines, int photos)
    {
        int ranks = RankCount(plan.Classes);
        int positions = plan.Model.Model.Preprocessing.InputWidth * plan.Model.Model.Preprocessing.InputHeight;
        return photos * (1 + ranks * (plan.Methods.Count * MapEvaluator.ForwardsPerMap(options, positions, false)
                + (baselines ? MetricNames.Baselines.Count * MapEvaluator.ForwardsPerMap(options, positions, true) : 0)))
            + photos * plan.Methods.Sum(m => m.ExtraForwardsPerPhoto(plan.Layer.Shape[1])) * ranks * (options.Has(MetricNames.Sanity) ? options.SanityStages + 2 : 1);
    }
}
