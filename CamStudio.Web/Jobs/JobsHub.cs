using CamStudio.Web.Access;
using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Jobs;

/// <summary>
/// <c>/hubs/jobs</c>: <c>Follow(jobId)</c> joins the job's group (and returns its current progress);
/// <c>Unfollow(jobId)</c> leaves it. Messages: <c>JobProgress</c>. A session follows only its own jobs (the host all):
/// another session's job is "no job", exactly like a missing one.
/// </summary>
public sealed class JobsHub(IJobStore store) : Hub
{
    public async Task<JobProgress> Follow(string jobId)
    {
        JobInfo job = Find(jobId);
        await Groups.AddToGroupAsync(Context.ConnectionId, JobProgressPublisher.GroupOf(jobId));
        return JobRunner.Snapshot(job);
    }

    public Task Unfollow(string jobId)
    {
        Find(jobId);
        return Groups.RemoveFromGroupAsync(Context.ConnectionId, JobProgressPublisher.GroupOf(jobId));
    }

    private JobInfo Find(string jobId)
    {
        if (store.UnavailableReason is { } off)
            throw new HubException(off);
        return (JobFiles.IsValidId(jobId) ? store.GetJob(jobId) : null) is { } job && Caller.CanAccess(job.Owner)
            ? job
            : throw new HubException($"There is no job '{jobId}'.");
    }

    // The connection's principal was set by the access middleware on the negotiate/connect request.
    private StudioCaller Caller => StudioCaller.FromPrincipal(Context.User)
        ?? throw new HubException("This connection has no CamStudio caller.");
}
