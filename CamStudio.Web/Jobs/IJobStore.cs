namespace CamStudio.Web.Jobs;

/// <summary>
/// Jobs, their photos and per-photo results. <see cref="JobStore"/> keeps them in SQLite (one machine);
/// <see cref="PostgresJobStore"/> in PostgreSQL (a cluster: every studio node sees the same jobs). Both keep one result
/// per photo: <see cref="SaveResult"/> of a photo already finished throws, so a batch retried on another worker can
/// never count a photo twice.
/// </summary>
public interface IJobStore
{
    /// <summary>Why jobs are off (the store cannot be written or reached), or null when the store works.</summary>
    string? UnavailableReason { get; }

    /// <summary>Stores a new queued job with its photos (input files must already be in place).</summary>
    /// <param name="owner">The <see cref="CamStudio.Web.Access.StudioCaller.SessionId"/> that made the job; null = the host.</param>
    /// <param name="skippedCount">Every entry left out (<paramref name="skipped"/> holds the first ones); null = skipped.Count.</param>
    void CreateJob(string id, JobSettings settings, IReadOnlyList<(string FileName, string InputFile)> photos, IReadOnlyList<IntakeIssue> skipped,
        DateTimeOffset createdUtc, string? owner = null, int? skippedCount = null);

    JobInfo? GetJob(string id);

    /// <summary>One page of jobs, or of one owner's jobs (NULL owners are the host's), newest first.</summary>
    IReadOnlyList<JobInfo> ListJobs(int limit = 200, string? ownedBy = null, int offset = 0);

    /// <summary>How many jobs are stored, or of one owner (NULL owners are the host's).</summary>
    int CountJobs(string? ownedBy = null);

    /// <summary>The ids of one owner's jobs (for its storage quota).</summary>
    IReadOnlyList<string> JobIdsOf(string owner);

    /// <summary>Removes a job's rows (photos, results and runs go with it). False when there was none.</summary>
    bool DeleteJob(string id);

    /// <summary>True when a job with this id is stored (whatever its state).</summary>
    bool Exists(string id);

    /// <summary>Jobs the runner still owes work: interrupted first, then queued, oldest first.</summary>
    IReadOnlyList<string> PendingJobIds();

    /// <summary>At start-up: jobs left "running" by a process that died are marked interrupted. Returns their ids.</summary>
    IReadOnlyList<string> MarkRunningAsInterrupted();

    /// <summary>Marks the job running and records a new run that starts at <paramref name="firstPhoto"/>. Returns the run number.</summary>
    int StartRun(string id, string modelName, string modelSha256, int? firstPhoto, DateTimeOffset now);

    /// <summary>The runs of a job: when each started and at which photo (the first unfinished one).</summary>
    IReadOnlyList<JobRun> ListRuns(string id);

    /// <summary>Photos not yet finished, in order.</summary>
    IReadOnlyList<(int Index, string FileName, string InputFile)> PendingPhotos(string id);

    /// <summary>The input file (relative to the job's input folder) of one photo, or null.</summary>
    string? InputFileOf(string id, int photo);

    /// <summary>
    /// Records a finished photo; its files must already be in place (the row is what makes them count). A photo
    /// already finished throws <see cref="InvalidOperationException"/> and nothing changes.
    /// </summary>
    /// <param name="worker">The worker that computed it (shown with the photo's result).</param>
    void SaveResult(string id, int photo, int run, PhotoState state, string? error, JobPrediction? top1,
        IReadOnlyList<JobPrediction> predictions, IReadOnlyList<JobMapFile> maps, string? thumbnailFile, DateTimeOffset computedUtc, string? worker = null);

    /// <summary>Every photo of a job with its result (if finished), in order.</summary>
    IReadOnlyList<JobPhoto> ListPhotos(string id);

    /// <summary>Sets a final state (completed, failed, cancelled) unless the job already has one.</summary>
    bool Finish(string id, JobState state, string? error, DateTimeOffset now);
}
