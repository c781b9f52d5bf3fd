namespace CamStudio.Web.Jobs;

/// <summary>
/// What one new job may still store, counted on the bytes actually written: the per-job limit
/// (<see cref="JobOptions.MaxExtractedBytes"/>), what is left of the session's quota, and the disk's room above the
/// reserve. Each limit refuses with its own message the moment it is passed.
/// </summary>
public sealed class StorageBudget
{
    /// <summary>The disk is asked again after this many bytes (other writers share it).</summary>
    private const long DiskCheckInterval = 4L * 1024 * 1024;

    private readonly long _jobLimit;
    private readonly long _quotaLeft;
    private readonly string _quotaText;
    private readonly JobDisk? _disk;
    private long _roomAtCheck = long.MaxValue;
    private long _chargedAtCheck;

    /// <param name="quotaLeft">Bytes the session may still store (<see cref="long.MaxValue"/>: no quota).</param>
    /// <param name="quotaText">How the quota is described in a refusal, e.g. "this session's 4 GiB (CamStudio:Jobs:SessionQuotaBytes)".</param>
    public StorageBudget(long jobLimit, long quotaLeft = long.MaxValue, string quotaText = "", JobDisk? disk = null)
    {
        _jobLimit = jobLimit;
        _quotaLeft = quotaLeft;
        _quotaText = quotaText;
        _disk = disk;
        CheckDisk("the job");
    }

    /// <summary>No limit but the per-job one (tests, and callers that check nothing else).</summary>
    public static StorageBudget JobOnly(JobOptions options) => new(options.MaxExtractedBytes);

    public long JobLimit => _jobLimit;

    /// <summary>Bytes stored so far.</summary>
    public long Charged { get; private set; }

    /// <summary>Refuses up front what an archive declares (before anything is written).</summary>
    public void EnsureCanHold(long bytes, string what)
    {
        if (bytes > _quotaLeft)
            throw QuotaReached(what, bytes);
        if (_disk?.FullReason(bytes) is { } reason)
            throw new DiskFullException($"{reason} ({what} declares {JobDisk.Size(bytes)}).");
    }

    /// <summary>Counts <paramref name="bytes"/> about to be written for <paramref name="what"/>; throws when a limit is passed.</summary>
    public void Charge(long bytes, string what, bool countsForJob = true)
    {
        Charged += bytes;
        if (countsForJob && Charged > _jobLimit)
            throw new JobLimitException(StatusCodes.Status413PayloadTooLarge, "Job too large",
                $"The photos inflate to more than {_jobLimit} bytes (CamStudio:Jobs:MaxExtractedBytes; stopped at '{what}'); the job is refused.");
        if (Charged > _quotaLeft)
            throw QuotaReached(what, Charged);
        if (Charged - _chargedAtCheck > _roomAtCheck)
            throw new DiskFullException($"{_disk!.Describe()} (stopped at '{what}').");
        if (Charged - _chargedAtCheck >= DiskCheckInterval)
            CheckDisk(what);
    }

    /// <summary>Gives back bytes that were removed again (a photo over its own limit, the uploaded ZIP once extracted).</summary>
    public void Release(long bytes) => Charged -= bytes;

    private void CheckDisk(string what)
    {
        if (_disk is null)
            return;
        _roomAtCheck = _disk.RoomBytes;
        _chargedAtCheck = Charged;
        if (_roomAtCheck < 0)
            throw new DiskFullException($"{_disk.FullReason()} (at {what}).");
    }

    private JobLimitException QuotaReached(string what, long bytes) =>
        new(StatusCodes.Status413PayloadTooLarge, "Storage quota reached",
            $"{what} would need {JobDisk.Size(bytes)}, more than is left of {_quotaText} ({JobDisk.Size(Math.Max(0, _quotaLeft))}); delete finished jobs to make room.");
}
