using CamStudio.Web.Access;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Jobs;

/// <summary>
/// Per-session limits on the number of jobs kept and the bytes their folders hold (<c>CamStudio:Jobs:SessionMaxJobs</c>,
/// <c>SessionQuotaBytes</c>; the host has its own, unlimited by default). Intakes still running count too, so two
/// parallel uploads of one session cannot both take the last of its quota.
/// </summary>
public sealed class JobQuota(IJobStore store, JobFiles files, JobDisk disk, IOptions<JobOptions> options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<StorageBudget>> _inFlight = [];

    /// <summary>
    /// The budget of a new job of <paramref name="caller"/>, held until the returned lease is disposed. Throws
    /// <see cref="JobLimitException"/> when the caller keeps its most jobs or its quota is used up, and
    /// <see cref="DiskFullException"/> when the disk has no room above the reserve.
    /// </summary>
    public QuotaLease Open(StudioCaller caller)
    {
        JobOptions o = options.Value;
        string owner = caller.IsHost ? StudioCaller.HostSessionId : caller.SessionId;
        int maxJobs = caller.IsHost ? o.HostMaxJobs : o.SessionMaxJobs;
        long quota = caller.IsHost ? o.HostQuotaBytes : o.SessionQuotaBytes;
        string who = caller.IsHost ? "The host" : "This session";
        string prefix = caller.IsHost ? "Host" : "Session";
        lock (_gate)
        {
            List<StorageBudget> running = _inFlight.TryGetValue(owner, out var list) ? list : _inFlight[owner] = [];
            if (maxJobs > 0)
            {
                int kept = store.CountJobs(owner) + running.Count;
                if (kept >= maxJobs)
                    throw new JobLimitException(StatusCodes.Status403Forbidden, "Job limit reached",
                        $"{who} already keeps {kept} jobs, the most it may keep (CamStudio:Jobs:{prefix}MaxJobs = {maxJobs}); delete finished jobs to start new ones.");
            }
            long left = long.MaxValue;
            string text = "";
            if (quota > 0)
            {
                long used = store.JobIdsOf(owner).Sum(id => FolderBytes(files.JobDirectory(id))) + running.Sum(b => b.Charged);
                left = quota - used;
                text = $"the {JobDisk.Size(quota)} {who.ToLowerInvariant()} may store (CamStudio:Jobs:{prefix}QuotaBytes)";
                if (left <= 0)
                    throw new JobLimitException(StatusCodes.Status413PayloadTooLarge, "Storage quota reached",
                        $"{who}'s jobs already store {JobDisk.Size(used)}, all of {text}; delete finished jobs to make room.");
            }
            var budget = new StorageBudget(o.MaxExtractedBytes, left, text, disk);
            running.Add(budget);
            return new QuotaLease(budget, () =>
            {
                lock (_gate)
                    running.Remove(budget);
            });
        }
    }

    /// <summary>Bytes of the files under <paramref name="folder"/> (0 when it is gone).</summary>
    public static long FolderBytes(string folder) =>
        Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;
}

/// <summary>A job's <see cref="StorageBudget"/> while its intake runs; disposing it ends the intake's claim on the quota.</summary>
public sealed class QuotaLease(StorageBudget budget, Action release) : IDisposable
{
    private Action? _release = release;

    public StorageBudget Budget { get; } = budget;

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
