using CamStudio.Engine.Cam;
using CamStudio.Web.Jobs;

namespace CamStudio.Web.Cluster;

/// <summary>Single mode: the engine's explainer, its batches counted as the one worker's queue and photos per second.</summary>
public sealed class CountedBatchExplainer(EnginePhotoBatchExplainer engine, WorkerLoad load) : IPhotoBatchExplainer
{
    public Task<PreparedJob> PrepareAsync(JobSettings settings, string owner, CancellationToken cancellationToken) =>
        engine.PrepareAsync(settings, owner, cancellationToken);

    public async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        load.Enter();
        int done = 0;
        try
        {
            IReadOnlyList<PhotoOutcome> outcomes = await engine.ExplainBatchAsync(job, photoPaths, progress, cancellationToken);
            done = outcomes.Count;
            return outcomes;
        }
        finally
        {
            load.Exit(done);
        }
    }
}
