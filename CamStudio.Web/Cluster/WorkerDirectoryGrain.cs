namespace CamStudio.Web.Cluster;

/// <summary>
/// The cluster's workers as they report themselves. Held in memory only: when the silo holding it dies, the grain
/// starts again elsewhere and every live worker is back in it within a second.
/// </summary>
public sealed class WorkerDirectoryGrain : Grain, IWorkerDirectoryGrain
{
    /// <summary>A worker silent this long is dropped from the list (the panel shows it stale before).</summary>
    private static readonly TimeSpan Forget = TimeSpan.FromMinutes(2);

    private readonly Dictionary<string, WorkerStatus> _workers = [];

    public Task ReportAsync(WorkerStatus status)
    {
        _workers[status.Silo] = status;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerStatus>> ListAsync()
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        foreach (string gone in _workers.Where(w => now - w.Value.ReportedUtc > Forget).Select(w => w.Key).ToList())
            _workers.Remove(gone);
        return Task.FromResult<IReadOnlyList<WorkerStatus>>([.. _workers.Values.OrderBy(w => w.Name, StringComparer.Ordinal)]);
    }
}
