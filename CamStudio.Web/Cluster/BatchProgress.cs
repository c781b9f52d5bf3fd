using CamStudio.Engine.Cam;

namespace CamStudio.Web.Cluster;

/// <summary>The studio's observer of one batch: the worker's forward passes, as the job runner's progress.</summary>
internal sealed class BatchProgressRelay(IProgress<ExplainProgress> progress) : IBatchProgressObserver
{
    public Task ForwardsAsync(long doneForwards, long totalForwards, long elapsedMs)
    {
        progress.Report(new ExplainProgress(doneForwards, totalForwards, TimeSpan.FromMilliseconds(elapsedMs), null));
        return Task.CompletedTask;
    }
}

/// <summary>
/// The worker's end: the engine's reports (on its torch thread) sent to the studio's observer one way; a report lost
/// on the way (the studio busy or gone) only makes the bar skip a step.
/// </summary>
internal sealed class BatchProgressReporter(IBatchProgressObserver observer) : IProgress<ExplainProgress>
{
    public void Report(ExplainProgress value)
    {
        Task sent = observer.ForwardsAsync(value.DoneForwards, value.TotalForwards, (long)value.Elapsed.TotalMilliseconds);
        _ = sent.ContinueWith(t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);
    }
}
