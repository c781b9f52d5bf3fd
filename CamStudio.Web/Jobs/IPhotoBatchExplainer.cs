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
}

/// <summary>A job's settings as the engine planned them: what every batch of the job computes.</summary>
public sealed record PreparedJob(ExplainPlan Plan)
{
    public string ModelName => Plan.ModelName;

    public string ModelSha256 => Plan.ModelSha256 ?? "";

    public string Layer => Plan.Layer.Name;

    public IReadOnlyList<string> Methods => [.. Plan.Methods.Select(m => m.Id)];

    public ClassSelection Classes => Plan.Classes;

    public IReadOnlyList<string> Labels => Plan.Labels;

    /// <summary>Extra forward passes each photo costs (Score-CAM, Ablation-CAM); 0 for one-pass methods.</summary>
    public long ForwardsPerPhoto => Plan.ExtraForwardsPerPhoto;
}

/// <summary>The result of one photo: explained (with its rendered overlays and thumbnail) or failed with a reason.</summary>
public abstract record PhotoOutcome
{
    private PhotoOutcome() { }

    /// <param name="OverlayPngs">One PNG per entry of <c>Explanation.Maps</c>, in the same order.</param>
    /// <param name="ThumbnailPng">A small overlay of the first map, for galleries and progress.</param>
    public sealed record Explained(PhotoMaps Explanation, IReadOnlyList<byte[]> OverlayPngs, byte[] ThumbnailPng) : PhotoOutcome;

    public sealed record Failed(string Reason) : PhotoOutcome;
}
