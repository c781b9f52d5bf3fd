using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Jobs;

/// <summary>
/// Runs queued jobs one at a time, one batch of photos per call to the explainer. Each photo's files are written
/// (temp name, then rename) before its row is committed, so after any crash a photo is either finished with all its
/// files or still pending. On start-up, jobs left running by a dead process are marked interrupted and resumed at
/// their first unfinished photo.
/// </summary>
public sealed class JobRunner : BackgroundService
{
    private readonly IJobStore _store;
    private readonly JobFiles _files;
    private readonly IPhotoBatchExplainer _explainer;
    private readonly JobProgressPublisher _publisher;
    private readonly JobOptions _options;
    private readonly JobDisk _disk;
    private readonly ILogger<JobRunner> _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<string, RunningJob> _running = new();
    private readonly ConcurrentDictionary<string, bool> _purging = new();
    private volatile string? _waitingReason;

    public JobRunner(IJobStore store, JobFiles files, IPhotoBatchExplainer explainer, JobProgressPublisher publisher, JobDisk disk,
        IOptions<JobOptions> options, ILogger<JobRunner> logger)
    {
        _store = store;
        _files = files;
        _explainer = explainer;
        _publisher = publisher;
        _disk = disk;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Why queued jobs are not running now (a full disk, an unwritable data folder), or null.</summary>
    public string? WaitingReason => _waitingReason;

    /// <summary>Tells the runner a job was queued.</summary>
    public void Wake() => _wake.Release();

    /// <summary>Room above the reserve a job needs to start (a few photos' results and the database's journal).</summary>
    private const long MinimumRoomToRun = 4L * 1024 * 1024;

    private sealed record RunningJob(CancellationTokenSource Cancel, TaskCompletionSource Stopped);

    /// <summary>Cancels a queued or running job. A running job's batch stops at the engine's next chunk. False when already final.</summary>
    public async Task<bool> CancelAsync(string jobId)
    {
        JobInfo? job = _store.GetJob(jobId);
        if (job is null || job.State.IsFinal())
            return false;
        if (_running.TryGetValue(jobId, out var running))
        {
            await running.Cancel.CancelAsync();
            return true;
        }
        await FinishAsync(jobId, JobState.Cancelled, "Cancelled before it started.");
        return true;
    }

    /// <summary>
    /// Deletes a job for good: a running job is cancelled first (and awaited), then its rows and its folder go.
    /// False when there was no such job.
    /// </summary>
    public async Task<bool> PurgeAsync(string jobId)
    {
        _purging[jobId] = true;
        try
        {
            if (_running.TryGetValue(jobId, out var running))
            {
                await running.Cancel.CancelAsync();
                await running.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            bool deleted = _store.DeleteJob(jobId);
            string folder = _files.JobDirectory(jobId);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            if (deleted)
                _logger.LogInformation("Job {JobId} deleted with its files", jobId);
            return deleted;
        }
        finally
        {
            _purging.TryRemove(jobId, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        // Several web nodes of one cluster share the job store; exactly one of them runs the jobs.
        if (!_options.RunJobs)
        {
            _logger.LogInformation("This node does not run jobs (CamStudio:Jobs:RunJobs is false): another node of the cluster does");
            return;
        }
        bool started = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Nothing may escape this loop: an exception leaving ExecuteAsync stops the whole host, explorer included.
            try
            {
                started = started || await StartUpAsync();
                if (started)
                    await RunPendingAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                string errorId = ErrorIds.New();
                _logger.LogError(ex, "The job runner failed (error id {ErrorId}); it tries again in a few seconds", errorId);
                SetWaiting($"Jobs wait: the job runner failed (see the server log, id {errorId}); it tries again in a few seconds.");
            }
            try
            {
                await _wake.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Once per process, when the store works: stale intakes removed, jobs of a dead process marked interrupted.</summary>
    private async Task<bool> StartUpAsync()
    {
        if (_store.UnavailableReason is { } reason)
        {
            SetWaiting(reason);
            return false;
        }
        RemoveOrphanFolders();
        try
        {
            foreach (string id in await StoreRetry.RunAsync(_store.MarkRunningAsInterrupted, _logger, "interrupted jobs"))
                _logger.LogWarning("Job {JobId} was running when the previous process stopped: marked interrupted, it will resume", id);
        }
        catch (Exception ex) when (StoreRetry.IsStorageError(ex))
        {
            // Left "running" they are still picked up below, exactly as interrupted ones: nothing is lost.
            _logger.LogWarning("Could not mark interrupted jobs ({Message}); they resume anyway", StoreRetry.OneLine(ex.Message));
        }
        return true;
    }

    private async Task RunPendingAsync(CancellationToken stoppingToken)
    {
        foreach (string id in _store.PendingJobIds())
        {
            if (stoppingToken.IsCancellationRequested)
                break;
            // On a full disk jobs wait (they are not failed): they start once there is room again.
            if (_disk.FullReason(MinimumRoomToRun) is { } full)
            {
                SetWaiting($"Jobs wait: {full}.");
                return;
            }
            SetWaiting(null);
            await RunJobAsync(id, stoppingToken);
        }
        SetWaiting(_disk.FullReason(MinimumRoomToRun) is { } stillFull ? $"Jobs wait: {stillFull}." : null);
    }

    /// <summary>Records why jobs wait; logs each change once (not every few seconds).</summary>
    private void SetWaiting(string? reason)
    {
        if (reason == _waitingReason)
            return;
        _waitingReason = reason;
        if (reason is null)
            _logger.LogInformation("Jobs run again");
        else
            _logger.LogWarning("{Reason}", reason);
    }

    /// <summary>Sets a final state, retried on storage errors; when it still cannot be written the job stays resumable.</summary>
    private async Task FinishAsync(string id, JobState state, string? reason)
    {
        try
        {
            if (await StoreRetry.RunAsync(() => _store.Finish(id, state, reason, DateTimeOffset.UtcNow), _logger, $"the state of job {id}")
                && _store.GetJob(id) is { } job)
                await _publisher.PublishAsync(Snapshot(job));
        }
        catch (Exception ex) when (StoreRetry.IsStorageError(ex))
        {
            _logger.LogError("Job {JobId} could not be marked {State} ({Message}); it stays resumable and runs again once the data folder can be written",
                id, state.ToText(), StoreRetry.OneLine(ex.Message));
        }
    }

    /// <summary>
    /// Job folders without a row are intakes a dead process never finished (the row is written last); they are
    /// removed once they are clearly stale, never while an intake might still be writing them.
    /// </summary>
    private void RemoveOrphanFolders()
    {
        if (!Directory.Exists(_files.JobsDirectory))
            return;
        foreach (string folder in Directory.EnumerateDirectories(_files.JobsDirectory))
        {
            string id = Path.GetFileName(folder);
            if (!JobFiles.IsValidId(id) || _store.Exists(id) || Directory.GetLastWriteTimeUtc(folder) > DateTime.UtcNow.AddMinutes(-10))
                continue;
            try
            {
                Directory.Delete(folder, recursive: true);
                _logger.LogInformation("Removed {Folder}: an unfinished intake of a previous process", folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Could not remove the stale intake folder {Folder}: {Message}", folder, StoreRetry.OneLine(ex.Message));
            }
        }
    }

    private async Task RunJobAsync(string id, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var running = new RunningJob(cts, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _running[id] = running;
        try
        {
            if (_purging.ContainsKey(id))
                return;
            JobInfo? job = _store.GetJob(id);
            if (job is null || job.State.IsFinal())
                return;
            await RunAsync(job, cts.Token);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the job stays "running" and the next start resumes it, exactly as after a crash.
            _logger.LogInformation("Job {JobId} paused by shutdown; it resumes at the next start", id);
        }
        catch (OperationCanceledException)
        {
            await FinishAsync(id, JobState.Cancelled, "Cancelled.");
            _logger.LogInformation("Job {JobId} cancelled", id);
        }
        catch (Exception ex) when (JobDisk.IsDiskFull(ex))
        {
            string reason = ex is DiskFullException ? ex.Message : $"disk full: {StoreRetry.OneLine(ex.Message)}";
            _logger.LogWarning("Job {JobId} failed: {Reason}", id, reason);
            await FinishAsync(id, JobState.Failed, reason);
        }
        catch (Exception ex) when (ex is JobRefusedException or CamRequestException)
        {
            // Settings the engine accepted at submission but not now (the model was removed or replaced since).
            _logger.LogWarning("Job {JobId} failed: {Reason}", id, ex.Message);
            await FinishAsync(id, JobState.Failed, ex.Message);
        }
        catch (Exception ex) when (StoreRetry.IsStorageError(ex))
        {
            // The job's own rows could not be written even after retries: it is left as it is, and resumes later.
            _logger.LogError("Job {JobId} paused: its progress could not be written ({Message}); it resumes once the data folder can be written",
                id, StoreRetry.OneLine(ex.Message));
        }
        catch (Exception ex)
        {
            string errorId = ErrorIds.New();
            _logger.LogError(ex, "Job {JobId} failed (error id {ErrorId})", id, errorId);
            await FinishAsync(id, JobState.Failed, $"The job failed unexpectedly; see the server log (id {errorId}).");
        }
        finally
        {
            _running.TryRemove(id, out _);
            running.Stopped.TrySetResult();
        }
    }

    private async Task RunAsync(JobInfo job, CancellationToken cancellationToken)
    {
        PreparedJob prepared = await _explainer.PrepareAsync(job.Settings, job.Owner, cancellationToken);
        var pending = _store.PendingPhotos(job.Id);
        string results = _files.ResultsDirectory(job.Id);
        Directory.CreateDirectory(results);
        int partial = JobFiles.RemovePartialFiles(results);
        int? firstPhoto = pending.Count > 0 ? pending[0].Index : null;
        int run = await StoreRetry.RunAsync(() => _store.StartRun(job.Id, prepared.ModelName, prepared.ModelSha256, firstPhoto, DateTimeOffset.UtcNow),
            _logger, $"the start of job {job.Id}");
        if (run > 1)
            _logger.LogWarning("Job {JobId} resumed (run {Run}) at photo {FirstPhoto}: {Finished} of {Total} photos were already finished; {Partial} half-written files removed",
                job.Id, run, firstPhoto, job.Finished, job.Total, partial);
        else
            _logger.LogInformation("Job {JobId} started: {Total} photos, model {Model}, methods {Methods}, layer {Layer}",
                job.Id, job.Total, prepared.ModelName, string.Join(",", prepared.Methods), prepared.Layer);

        var clock = Stopwatch.StartNew();
        int done = job.Done, failed = job.Failed, computedThisRun = 0;
        int batchSize = Math.Max(1, _options.BatchSize);
        string inputs = _files.InputDirectory(job.Id);
        // A cluster explains several batches at once (one per worker and more); results are still written in photo order.
        int inFlight = Math.Max(1, _explainer.BatchesInFlight);
        var started = new Queue<(List<(int Index, string FileName, string InputFile)> Batch, List<string> Paths, Task<IReadOnlyList<PhotoOutcome>> Outcomes)>();
        for (int next = 0; next < pending.Count || started.Count > 0;)
        {
            while (started.Count < inFlight && next < pending.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var nextBatch = pending.Skip(next).Take(batchSize).ToList();
                var nextPaths = nextBatch.Select(p => JobFiles.Inside(inputs, p.InputFile)).ToList();
                started.Enqueue((nextBatch, nextPaths, ExplainBatchAsync(job, prepared, nextBatch, nextPaths, done, failed, computedThisRun, clock, cancellationToken)));
                next += batchSize;
            }
            var (batch, paths, explaining) = started.Dequeue();
            IReadOnlyList<PhotoOutcome> outcomes = await explaining;
            for (int i = 0; i < batch.Count; i++)
            {
                var (index, fileName, _) = batch[i];
                PhotoOutcome outcome = outcomes[i] is PhotoOutcome.Failed failure
                    ? failure with { Reason = Reason(failure.Reason, fileName, paths[i]) }
                    : outcomes[i];
                JobPrediction? top1 = await SaveOutcomeAsync(job.Id, run, index, fileName, outcome, results);
                computedThisRun++;
                if (outcome is PhotoOutcome.Explained)
                    done++;
                else
                    failed++;
                long elapsed = clock.ElapsedMilliseconds;
                int remaining = job.Total - done - failed;
                await _publisher.PublishAsync(new JobProgress(job.Id, JobState.Running.ToText(), done, job.Total, failed, fileName, index,
                    top1?.ClassIndex, top1?.ClassName, top1?.Probability, elapsed,
                    remaining == 0 ? 0 : elapsed * remaining / computedThisRun,
                    (outcome as PhotoOutcome.Failed)?.Reason,
                    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
                {
                    Worker = WorkerOf(outcome),
                    ComputedAtUnixMs = outcome.ComputedUnixMs,
                });
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (await StoreRetry.RunAsync(() => _store.Finish(job.Id, JobState.Completed, null, DateTimeOffset.UtcNow), _logger, $"the end of job {job.Id}"))
        {
            _logger.LogInformation("Job {JobId} completed: {Done} explained, {Failed} failed, {Elapsed} ms in this run", job.Id, done, failed, clock.ElapsedMilliseconds);
            await _publisher.PublishAsync(Snapshot(_store.GetJob(job.Id)!) with { ElapsedMs = clock.ElapsedMilliseconds });
        }
    }

    /// <summary>One batch through the explainer; a batch that fails as a whole gives each of its photos a failure naming the log entry.</summary>
    private async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(JobInfo job, PreparedJob prepared, List<(int Index, string FileName, string InputFile)> batch,
        List<string> paths, int doneBefore, int failedBefore, int computedBefore, Stopwatch clock, CancellationToken cancellationToken)
    {
        // Slow methods: the batch's forwards as job-wide messages (one-pass methods send one message per photo only).
        JobForwardProgress? forwards = prepared.ForwardsPerPhoto == 0 ? null : new JobForwardProgress(_publisher, p =>
        {
            long perPhoto = prepared.ForwardsPerPhoto, total = perPhoto * job.Total, doneForwards = perPhoto * (doneBefore + failedBefore) + p.DoneForwards;
            long thisRun = perPhoto * computedBefore + p.DoneForwards, elapsed = clock.ElapsedMilliseconds;
            long? eta = thisRun > 0 ? elapsed * Math.Max(0, total - doneForwards) / thisRun : null;
            return new JobProgress(job.Id, JobState.Running.ToText(), doneBefore, job.Total, failedBefore, null, null, null, null, null,
                elapsed, eta, null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), doneForwards, total);
        });
        try
        {
            IReadOnlyList<PhotoOutcome> outcomes = await _explainer.ExplainBatchAsync(prepared, paths, forwards, cancellationToken);
            if (outcomes.Count != batch.Count)
                throw new InvalidOperationException($"The explainer returned {outcomes.Count} outcomes for {batch.Count} photos.");
            return outcomes;
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not JobRefusedException)
        {
            string errorId = ErrorIds.New();
            _logger.LogWarning(ex, "Batch of job {JobId} failed (error id {ErrorId})", job.Id, errorId);
            return [.. batch.Select(_ => new PhotoOutcome.Failed($"The engine failed on this photo's batch; see the server log (id {errorId})."))];
        }
        finally
        {
            // Forward messages of this batch go out before its photos' messages.
            if (forwards is not null)
                await forwards.DrainAsync();
        }
    }

    /// <summary>Who computed a photo: the cluster's worker, else this machine (as the Workers panel names it).</summary>
    private static string WorkerOf(PhotoOutcome outcome) => outcome.Worker ?? Environment.MachineName;

    /// <summary>
    /// Writes a photo's files, then commits its row (retried). Returns its top-1 prediction. A full disk (the reserve
    /// reached, or a write failing with ENOSPC) throws <see cref="DiskFullException"/>: the job fails with "disk full".
    /// </summary>
    private async Task<JobPrediction?> SaveOutcomeAsync(string jobId, int run, int index, string fileName, PhotoOutcome outcome, string results)
    {
        if (outcome is PhotoOutcome.Failed failure)
        {
            await StoreRetry.RunAsync(() => { _store.SaveResult(jobId, index, run, PhotoState.Failed, failure.Reason, null, [], [], null, DateTimeOffset.UtcNow, WorkerOf(outcome)); return true; },
                _logger, $"photo {index} of job {jobId}");
            return null;
        }
        var explained = (PhotoOutcome.Explained)outcome;
        long bytes = explained.ThumbnailPng.Length + explained.OverlayPngs.Sum(p => (long)p.Length)
            + explained.Explanation.Maps.Sum(m => 256L + 4L * (m.Map.Map.Height * m.Map.Map.Width + (long)m.Map.InputHeight * m.Map.InputWidth))
            + (explained.Scores?.Count ?? 0) * 2048L + (explained.Pictures?.Bytes ?? 0);
        _disk.EnsureRoom(bytes, $"the results of {fileName}");
        try
        {
            return await WriteResultAsync(jobId, run, index, fileName, explained, results);
        }
        catch (IOException ex) when (JobDisk.IsDiskFull(ex))
        {
            throw new DiskFullException($"disk full: writing the results of {fileName} failed ({StoreRetry.OneLine(ex.Message)}).");
        }
    }

    private async Task<JobPrediction?> WriteResultAsync(string jobId, int run, int index, string fileName, PhotoOutcome.Explained explained, string results)
    {
        string stem = $"{index:D4}_{SafeStem(fileName)}";
        Directory.CreateDirectory(Path.Combine(results, "maps"));
        Directory.CreateDirectory(Path.Combine(results, "overlays"));
        Directory.CreateDirectory(Path.Combine(results, "thumbs"));
        var predictions = explained.Explanation.TopPredictions.Select(p => new JobPrediction(p.ClassIndex, p.ClassName, p.Probability)).ToList();
        var maps = new List<JobMapFile>();
        for (int m = 0; m < explained.Explanation.Maps.Count; m++)
        {
            PlacedClassMap map = explained.Explanation.Maps[m];
            // The one .npy contract (MapFiles): <stem>.<method>.<class>.npy normalised at input size, .raw.npy at layer size.
            string method = SafeStem(map.Method);
            string npy = "maps/" + MapFiles.NormalisedName(stem, method, map.ClassIndex);
            string rawNpy = "maps/" + MapFiles.RawName(stem, method, map.ClassIndex);
            string png = $"overlays/{stem}.{method}.{map.ClassIndex}.png";
            JobFiles.WriteAtomically(JobFiles.Inside(results, npy), MapFiles.NormalisedNpy(map.Map));
            JobFiles.WriteAtomically(JobFiles.Inside(results, rawNpy), MapFiles.RawNpy(map.Map));
            JobFiles.WriteAtomically(JobFiles.Inside(results, png), explained.OverlayPngs[m]);
            float probability = predictions.FirstOrDefault(p => p.ClassIndex == map.ClassIndex)?.Probability ?? float.NaN;
            var (guided, guidedCam) = WriteGuided(results, stem, method, map, m, explained.Pictures);
            maps.Add(new JobMapFile(map.Method, map.ClassIndex, map.ClassName, probability, map.Layer, npy, png)
            {
                RawNpyFile = rawNpy,
                GuidedFile = guided,
                GuidedCamFile = guidedCam,
            });
        }
        if (explained.Pictures?.Concepts is { } concepts)
            JobConceptFiles.Write(results, index, stem, concepts);
        string thumbnail = $"thumbs/{index:D4}.png";
        JobFiles.WriteAtomically(JobFiles.Inside(results, thumbnail), explained.ThumbnailPng);
        if (explained.Scores is { } scores)
            JobScoreFiles.Write(results, index, scores);
        JobPrediction? top1 = predictions.Count > 0 ? predictions[0] : null;
        await StoreRetry.RunAsync(() => { _store.SaveResult(jobId, index, run, PhotoState.Done, null, top1, predictions, maps, thumbnail, DateTimeOffset.UtcNow, WorkerOf(explained)); return true; },
            _logger, $"photo {index} of job {jobId}");
        return top1;
    }

    /// <summary>
    /// Map <paramref name="m"/>'s guided pictures under the CLI's <c>explain --guided</c> names:
    /// <c>guided/&lt;stem&gt;.guided.&lt;class&gt;.png</c> and
    /// <c>guided/&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.guided.png</c>. Nulls when the job is not guided.
    /// </summary>
    private static (string? Guided, string? GuidedCam) WriteGuided(string results, string stem, string method, PlacedClassMap map, int m, JobPictures? pictures)
    {
        if (pictures is null || m >= pictures.GuidedCams.Count || pictures.GuidedCams[m].Length == 0
            || pictures.Guided.FirstOrDefault(g => g.ClassIndex == map.ClassIndex) is not { } guided)
            return (null, null);
        Directory.CreateDirectory(Path.Combine(results, "guided"));
        string guidedFile = $"guided/{stem}.guided.{map.ClassIndex}.png", camFile = $"guided/{stem}.{method}.{map.ClassIndex}.guided.png";
        // The class's image is the same for each of its maps: rewritten, never compared with what a crashed run left.
        JobFiles.WriteAtomically(JobFiles.Inside(results, guidedFile), guided.Png);
        JobFiles.WriteAtomically(JobFiles.Inside(results, camFile), pictures.GuidedCams[m]);
        return (guidedFile, camFile);
    }

    /// <summary>A failure reason that names the photo as the user knows it, never the internal input path.</summary>
    private static string Reason(string reason, string fileName, string inputPath)
    {
        string named = reason.Replace(inputPath, fileName, StringComparison.Ordinal).Replace(Path.GetFileName(inputPath), fileName, StringComparison.Ordinal);
        return named.Contains(fileName, StringComparison.Ordinal) ? named : $"{fileName}: {named}";
    }

    /// <summary>
    /// A file-name-safe form of a photo or method name (letters, digits, '-', '_', at most 60 characters); '+' reads
    /// as 'p' so "gradcam++" stays recognisable ("gradcampp", not "gradcam__").
    /// </summary>
    internal static string SafeStem(string name)
    {
        string stem = Path.GetFileNameWithoutExtension(name.Replace('/', '_'));
        var builder = new StringBuilder(stem.Length);
        foreach (char c in stem)
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : c == '+' ? 'p' : '_');
        string safe = builder.ToString();
        if (safe.Length > 60)
            safe = safe[..60];
        return safe.Length == 0 ? "photo" : safe;
    }

    /// <summary>The current progress of a job as a message (used for Follow's reply and for final messages).</summary>
    public static JobProgress Snapshot(JobInfo job)
    {
        long elapsed = job.StartedUtc is { } started ? (long)((job.FinishedUtc ?? DateTimeOffset.UtcNow) - started).TotalMilliseconds : 0;
        return new JobProgress(job.Id, job.State.ToText(), job.Done, job.Total, job.Failed, null, null, null, null, null,
            elapsed, job.State.IsFinal() ? 0 : null, job.Error);
    }
}
