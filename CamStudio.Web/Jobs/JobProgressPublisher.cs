using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Jobs;

/// <summary>
/// Sends <see cref="JobProgress"/> to the job's SignalR group (every follower gets the same messages, in order)
/// and to in-process subscribers (the Blazor pages, which live on the server).
/// </summary>
public sealed class JobProgressPublisher(IHubContext<JobsHub> hub, ILogger<JobProgressPublisher> logger)
{
    public const string MessageName = "JobProgress";

    private readonly Lock _gate = new();
    private readonly List<Action<JobProgress>> _subscribers = [];

    public static string GroupOf(string jobId) => "job:" + jobId;

    /// <summary>Calls <paramref name="onProgress"/> for every message of every job until the subscription is disposed.</summary>
    public IDisposable Subscribe(Action<JobProgress> onProgress)
    {
        lock (_gate)
            _subscribers.Add(onProgress);
        return new Subscription(this, onProgress);
    }

    public async Task PublishAsync(JobProgress progress)
    {
        Action<JobProgress>[] subscribers;
        lock (_gate)
            subscribers = [.. _subscribers];
        foreach (var subscriber in subscribers)
        {
            try
            {
                subscriber(progress);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "A progress subscriber failed for job {JobId}", progress.JobId);
            }
        }
        try
        {
            await hub.Clients.Group(GroupOf(progress.JobId)).SendAsync(MessageName, progress);
        }
        catch (Exception ex)
        {
            // A broken connection must never stop the job.
            logger.LogWarning(ex, "Could not send progress of job {JobId}", progress.JobId);
        }
    }

    private sealed class Subscription(JobProgressPublisher owner, Action<JobProgress> callback) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
                owner._subscribers.Remove(callback);
        }
    }
}
