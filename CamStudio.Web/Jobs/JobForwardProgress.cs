using CamStudio.Engine.Cam;

namespace CamStudio.Web.Jobs;

/// <summary>
/// The engine's progress of a running batch (reported on the torch thread) as <see cref="JobProgress"/> messages,
/// sent one after another in the order reported, so the torch thread never waits for a client.
/// </summary>
internal sealed class JobForwardProgress(JobProgressPublisher publisher, Func<ExplainProgress, JobProgress> message) : IProgress<ExplainProgress>
{
    private readonly Lock _gate = new();
    private Task _last = Task.CompletedTask;

    public void Report(ExplainProgress value)
    {
        JobProgress progress = message(value);
        lock (_gate)
            _last = _last.ContinueWith(_ => publisher.PublishAsync(progress), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Completes once every message reported so far was sent.</summary>
    public Task DrainAsync()
    {
        lock (_gate)
            return _last;
    }
}
