using CamStudio.Engine;
using CamStudio.Engine.Cam;

namespace CamStudio.Web.Jobs;

/// <summary>
/// "Explain this batch of photos": the one thing the job runner needs from the engine. The implementation over
/// <see cref="CamEngine"/> runs each batch at Batch priority as the job owner's work, so the interactive studio of
/// other sessions runs between the chunks of a slow method.
/// </summary>
public interface IPhotoBatchExplainer
{
    /// <summary>
    /// A job's settings planned by the engine (<see cref="CamEngine.PlanAsync"/>) for <paramref name="owner"/>: the
    /// model, its sha256, the layer, the methods and the classes. Throws <see cref="CamRequestException"/> naming the
    /// field, before any photo is touched.
    /// </summary>
    Task<PreparedJob> PrepareAsync(JobSettings settings, string owner, CancellationToken cancellationToken);

    /// <summary>
    /// Explains <paramref name="photoPaths"/>. Returns one outcome per photo, in order; a photo that cannot be
    /// decoded gives a <see cref="PhotoOutcome.Failed"/>. Slow methods report <paramref name="progress"/> (forwards of
    /// this batch) and stop at their next chunk when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken);

    /// <summary>How many batches of one job the runner may have in flight (results are still written in order). One process: 1.</summary>
    int BatchesInFlight => 1;
}

/// <summary>
/// A job's settings as the engine planned them: what every batch of the job computes. <see cref="Plan"/> is the
/// engine's plan when this process explains the batches; null when a worker of the cluster planned them (its plan
/// stays on the worker, only these facts travel).
/// </summary>
public sealed record PreparedJob(string ModelName, string ModelSha256, string Layer, IReadOnlyList<string> Methods, IReadOnlyList<string> Labels,
    long ForwardsPerPhoto)
{
    public PreparedJob(ExplainPlan plan)
        : this(plan.ModelName, plan.ModelSha256 ?? "", plan.Layer.Name, [.. plan.Methods.Select(m => m.Id)], plan.Labels, plan.ExtraForwardsPerPhoto)
    {
        Plan = plan;
    }

    /// <summary>The engine's plan (this process explains); null for a job planned on a cluster worker.</summary>
    public ExplainPlan? Plan { get; }

    /// <summary>The classes to explain for each photo (the local plan's; null when a worker planned the job).</summary>
    public ClassSelection? Classes => Plan?.Classes;

    /// <summary>The settings and owner the job was planned from (kept by explainers that send them to another process).</summary>
    public JobSettings? Settings { get; init; }

    public string? Owner { get; init; }

    /// <summary>The evaluation every batch is scored with (<see cref="JobSettings.Metrics"/>); null: no metrics.</summary>
    public EvaluateRequest? Evaluation { get; init; }

    /// <summary>The concepts every photo is split into (<see cref="JobSettings.Concepts"/>); null: none.</summary>
    public ConceptRequest? Concepts { get; init; }
}

/// <summary>The result of one photo: explained (with its rendered overlays and thumbnail) or failed with a reason.</summary>
public abstract record PhotoOutcome
{
    private PhotoOutcome() { }

    /// <summary>The worker that computed it (a cluster's worker name; null: this process).</summary>
    public string? Worker { get; init; }

    /// <summary>When the worker finished it (Unix ms), for the progress latency worker → browser; null: not measured.</summary>
    public long? ComputedUnixMs { get; init; }

    /// <param name="OverlayPngs">One PNG per entry of <c>Explanation.Maps</c>, in the same order.</param>
    /// <param name="ThumbnailPng">A small overlay of the first map, for galleries and progress.</param>
    public sealed record Explained(PhotoMaps Explanation, IReadOnlyList<byte[]> OverlayPngs, byte[] ThumbnailPng) : PhotoOutcome
    {
        /// <summary>The photo's map scores (methods', then baselines') when the job asked for metrics; else null.</summary>
        public IReadOnlyList<JobMapScore>? Scores { get; init; }

        /// <summary>The guided and concept pictures when the job asked for them (<see cref="JobSettings.Guided"/>, <see cref="JobSettings.Concepts"/>); else null.</summary>
        public JobPictures? Pictures { get; init; }
    }

    public sealed record Failed(string Reason) : PhotoOutcome;
}
