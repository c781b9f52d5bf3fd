using CamStudio.Engine.Cam;

namespace CamStudio.Web.Jobs;

/// <summary>
/// "Explain this batch of photos": the one thing the job runner needs from the engine. The implementation over
/// the real engine runs each batch as one work item on the shared torch executor at Batch priority, so the
/// interactive explorer never waits behind more than one batch.
/// </summary>
public interface IPhotoBatchExplainer
{
    /// <summary>
    /// Resolves a job's settings against the model catalog: the model (empty = default), its sha256, the layer
    /// ("auto" resolved), the methods and the classes. Throws <see cref="JobInputException"/> naming what is unknown.
    /// </summary>
    Task<PreparedJob> PrepareAsync(JobSettings settings, CancellationToken cancellationToken);

    /// <summary>
    /// Explains <paramref name="photoPaths"/> in one forward pass (one work item). Returns one outcome per photo, in
    /// order; a photo that cannot be decoded or explained gives a <see cref="PhotoOutcome.Failed"/>, never an exception.
    /// </summary>
    Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, CancellationToken cancellationToken);
}

/// <summary>A job's settings resolved against the model: what every batch of the job computes.</summary>
public sealed record PreparedJob(
    string ModelName,
    string ModelSha256,
    string Layer,
    IReadOnlyList<string> Methods,
    ClassSelection Classes,
    IReadOnlyList<string> Labels);

/// <summary>The result of one photo: explained (with its rendered overlays and thumbnail) or failed with a reason.</summary>
public abstract record PhotoOutcome
{
    private PhotoOutcome() { }

    /// <param name="OverlayPngs">One PNG per entry of <c>Explanation.Maps</c>, in the same order.</param>
    /// <param name="ThumbnailPng">A small overlay of the first map, for galleries and progress.</param>
    public sealed record Explained(PhotoExplanation Explanation, IReadOnlyList<byte[]> OverlayPngs, byte[] ThumbnailPng) : PhotoOutcome;

    public sealed record Failed(string Reason) : PhotoOutcome;
}
