using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using CamStudio.Engine.Cam;
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
    private readonly JobStore _store;
    private readonly JobFiles _files;
    private readonly IPhotoBatchExplainer _explainer;
    private readonly JobProgressPublisher _publisher;
    private readonly JobOptions _options;
    private readonly ILogger<JobRunner> _logger;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new();

    public JobRunner(JobStore store, JobFiles files, IPhotoBatchExplainer explainer, JobProgressPublisher publisher, IOptions<JobOptions> options, ILogger<JobRunner> logger)
    {
        _store = store;
        _files = files;
        _explainer = explainer;
        _publisher = publisher;
        _options = options.Value;
        _logger = logger;
    }

    /// <summary>Tells the runner a job was queued.</summary>
    public void Wake() => _wake.Release();

    /// <summary>Cancels a queued or running job. A running job stops after its current batch. False when already final.</summary>
    public async Task<bool> CancelAsync(string jobId)
    {
        JobInfo? job = _store.GetJob(jobId);
        if (job is null || job.State.IsFinal())
            return false;
        if (_running.TryGetValue(jobId, out var cts))
        {
            await cts.CancelAsync();
            return true;
        }
        if (_store.Finish(jobId, JobState.Cancelled, "Cancelled before it started.", DateTimeOffset.UtcNow))
            await _publisher.PublishAsync(Snapshot(_store.GetJob(jobId)!));
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        RemoveOrphanFolders();
        foreach (string id in _store.MarkRunningAsInterrupted())
            _logger.LogWarning("Job {JobId} was running when the previous process stopped: marked interrupted, it will resume", id);
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (string id in _store.PendingJobIds())
            {
                if (stoppingToken.IsCancellationRequested)
                    break;
                await RunJobAsync(id, stoppingToken);
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
            catch (IOException ex)
            {
                _logger.LogWarning(ex, "Could not remove the stale intake folder {Folder}", folder);
            }
        }
    }

    private async Task RunJobAsync(string id, CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        _running[id] = cts;
        try
        {
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
            if (_store.Finish(id, JobState.Cancelled, "Cancelled.", DateTimeOffset.UtcNow))
                await _publisher.PublishAsync(Snapshot(_store.GetJob(id)!));
            _logger.LogInformation("Job {JobId} cancelled", id);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Job {JobId} failed", id);
            string reason = ex is JobInputException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
            if (_store.Finish(id, JobState.Failed, reason, DateTimeOffset.UtcNow))
                await _publisher.PublishAsync(Snapshot(_store.GetJob(id)!));
        }
        finally
        {
            _running.TryRemove(id, out _);
        }
    }

    private async Task RunAsync(JobInfo job, CancellationToken cancellationToken)
    {
        PreparedJob prepared = await _explainer.PrepareAsync(job.Settings, cancellationToken);
        var pending = _store.PendingPhotos(job.Id);
        string results = _files.ResultsDirectory(job.Id);
        Directory.CreateDirectory(results);
        int partial = JobFiles.RemovePartialFiles(results);
        int? firstPhoto = pending.Count > 0 ? pending[0].Index : null;
        int run = _store.StartRun(job.Id, prepared.ModelName, prepared.ModelSha256, firstPhoto, DateTimeOffset.UtcNow);
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
        for (int start = 0; start < pending.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = pending.Skip(start).Take(batchSize).ToList();
            var paths = batch.Select(p => JobFiles.Inside(inputs, p.InputFile)).ToList();
            IReadOnlyList<PhotoOutcome> outcomes;
            try
            {
                outcomes = await _explainer.ExplainBatchAsync(prepared, paths, cancellationToken);
                if (outcomes.Count != batch.Count)
                    throw new InvalidOperationException($"The explainer returned {outcomes.Count} outcomes for {batch.Count} photos.");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Batch of job {JobId} failed", job.Id);
                outcomes = [.. batch.Select(_ => new PhotoOutcome.Failed($"{ex.GetType().Name}: {ex.Message}"))];
            }
            for (int i = 0; i < batch.Count; i++)
            {
                var (index, fileName, _) = batch[i];
                PhotoOutcome outcome = outcomes[i] is PhotoOutcome.Failed failure
                    ? new PhotoOutcome.Failed(Reason(failure.Reason, fileName, paths[i]))
                    : outcomes[i];
                JobPrediction? top1 = SaveOutcome(job.Id, run, index, fileName, outcome, results);
                computedThisRun++;
                if (outcome is PhotoOutcome.Explained) done++; else failed++;
                long elapsed = clock.ElapsedMilliseconds;
                int remaining = job.Total - done - failed;
                await _publisher.PublishAsync(new JobProgress(job.Id, JobState.Running.ToText(), done, job.Total, failed, fileName, index,
                    top1?.ClassIndex, top1?.ClassName, top1?.Probability, elapsed,
                    remaining == 0 ? 0 : elapsed * remaining / computedThisRun,
                    (outcome as PhotoOutcome.Failed)?.Reason,
                    DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (_store.Finish(job.Id, JobState.Completed, null, DateTimeOffset.UtcNow))
        {
            _logger.LogInformation("Job {JobId} completed: {Done} explained, {Failed} failed, {Elapsed} ms in this run", job.Id, done, failed, clock.ElapsedMilliseconds);
            await _publisher.PublishAsync(Snapshot(_store.GetJob(job.Id)!) with { ElapsedMs = clock.ElapsedMilliseconds });
        }
    }

    /// <summary>Writes a photo's files, then commits its row. Returns its top-1 prediction.</summary>
    private JobPrediction? SaveOutcome(string jobId, int run, int index, string fileName, PhotoOutcome outcome, string results)
    {
        if (outcome is PhotoOutcome.Failed failure)
        {
            _store.SaveResult(jobId, index, run, PhotoState.Failed, failure.Reason, null, [], [], null, DateTimeOffset.UtcNow);
            return null;
        }
        var explained = (PhotoOutcome.Explained)outcome;
        string stem = $"{index:D4}_{SafeStem(fileName)}";
        Directory.CreateDirectory(Path.Combine(results, "maps"));
        Directory.CreateDirectory(Path.Combine(results, "overlays"));
        Directory.CreateDirectory(Path.Combine(results, "thumbs"));
        var predictions = explained.Explanation.TopPredictions.Select(p => new JobPrediction(p.ClassIndex, p.ClassName, p.Probability)).ToList();
        var maps = new List<JobMapFile>();
        for (int m = 0; m < explained.Explanation.Maps.Count; m++)
        {
            ClassMap map = explained.Explanation.Maps[m];
            string baseName = $"{stem}__{SafeStem(map.Method)}__{map.ClassIndex}";
            string npy = $"maps/{baseName}.npy";
            string png = $"overlays/{baseName}.png";
            JobFiles.WriteAtomically(JobFiles.Inside(results, npy), NpyFloat32.Encode(map.Map.Raw, map.Map.Height, map.Map.Width));
            JobFiles.WriteAtomically(JobFiles.Inside(results, png), explained.OverlayPngs[m]);
            float probability = predictions.FirstOrDefault(p => p.ClassIndex == map.ClassIndex)?.Probability ?? float.NaN;
            maps.Add(new JobMapFile(map.Method, map.ClassIndex, map.ClassName, probability, map.Layer, npy, png));
        }
        string thumbnail = $"thumbs/{index:D4}.png";
        JobFiles.WriteAtomically(JobFiles.Inside(results, thumbnail), explained.ThumbnailPng);
        JobPrediction? top1 = predictions.Count > 0 ? predictions[0] : null;
        _store.SaveResult(jobId, index, run, PhotoState.Done, null, top1, predictions, maps, thumbnail, DateTimeOffset.UtcNow);
        return top1;
    }

    /// <summary>A failure reason that names the photo as the user knows it, never the internal input path.</summary>
    private static string Reason(string reason, string fileName, string inputPath)
    {
        string named = reason.Replace(inputPath, fileName, StringComparison.Ordinal).Replace(Path.GetFileName(inputPath), fileName, StringComparison.Ordinal);
        return named.Contains(fileName, StringComparison.Ordinal) ? named : $"{fileName}: {named}";
    }

    /// <summary>A file-name-safe form of a photo or method name (letters, digits, '-', '_', at most 60 characters).</summary>
    internal static string SafeStem(string name)
    {
        string stem = Path.GetFileNameWithoutExtension(name.Replace('/', '_'));
        var builder = new StringBuilder(stem.Length);
        foreach (char c in stem)
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
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
