namespace CamStudio.Web.Jobs;

/// <summary>
/// <see cref="IPhotoBatchExplainer"/> over the CamStudio engine (model catalog, CamExplainer, heatmap renderer),
/// one batch per work item at Batch priority on the shared torch executor.
/// </summary>
public sealed class EnginePhotoBatchExplainer : IPhotoBatchExplainer
{
    public Task<PreparedJob> PrepareAsync(JobSettings settings, CancellationToken cancellationToken) =>
        throw new JobInputException("The CAM engine is not available in this build yet, so jobs cannot run.");

    public Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, CancellationToken cancellationToken) =>
        throw new JobInputException("The CAM engine is not available in this build yet, so jobs cannot run.");
}
