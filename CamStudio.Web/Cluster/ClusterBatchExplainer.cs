using System.Collections.Concurrent;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Placement;

namespace CamStudio.Web.Cluster;

/// <summary>
/// <see cref="IPhotoBatchExplainer"/> of a clustered studio: each batch goes to a worker that has the job's model
/// (name and SHA-256), the one with the fewest batches in flight; a worker that refuses, fails, or leaves the cluster
/// while it has the batch (gone from the membership table's live gateways) has the batch sent to another. The studio
/// writes every result itself, and the job store takes each photo once.
/// </summary>
public sealed class ClusterBatchExplainer(IClusterClient client, ClusterWorkers workers, IOptions<ClusterSettings> settings,
    ILogger<ClusterBatchExplainer> logger, ModelCatalog? catalog = null) : IPhotoBatchExplainer
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan WaitForWorkers = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, int> _inFlight = new();

    public int BatchesInFlight => settings.Value.MaxBatchesInFlight > 0 ? settings.Value.MaxBatchesInFlight : Math.Max(1, 2 * workers.LiveCount);

    public async Task<PreparedJob> PrepareAsync(JobSettings settingsOfJob, string owner, CancellationToken cancellationToken)
    {
        // The model the user picked in this studio (its catalog's SHA-256) is the one the job needs; a studio without
        // the model takes the planning worker's.
        (string Name, string Sha256)? wanted = StudioModel(settingsOfJob.Model);
        var failed = new HashSet<string>();
        DateTime giveUp = DateTime.UtcNow + WaitForWorkers;
        WorkerPlan plan;
        while (true)
        {
            WorkerStatus? worker = await ChooseAsync(w => wanted is { } m ? HasModel(w, m.Name, m.Sha256)
                    : settingsOfJob.Model.Length == 0 || w.Models.Any(m => string.Equals(m.Name, settingsOfJob.Model.Trim(), StringComparison.OrdinalIgnoreCase)),
                failed, cancellationToken);
            if (worker is null && wanted is { } missing && workers.Snapshot.Count > 0 && failed.Count == 0)
                throw new JobRefusedException(StatusCodes.Status503ServiceUnavailable, "No worker has the model", NoWorkerReason(missing.Name, missing.Sha256, []));
            // The studio lacks the model: a worker plans it (and refuses it with the reason if it lacks it too).
            if (wanted is null)
                worker ??= await ChooseAsync(_ => true, failed, cancellationToken);
            if (worker is null && failed.Count > 0 && DateTime.UtcNow < giveUp)
            {
                // Every worker failed to answer once: the cluster may be settling (a worker just died, one joining).
                failed.Clear();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                continue;
            }
            if (worker is null)
                throw new JobRefusedException(StatusCodes.Status503ServiceUnavailable, "No engine workers",
                    "No engine worker is connected to the cluster: start CamStudio.Worker on a machine with the model (see the README).");
            try
            {
                plan = await WithHint(worker, () => client.GetGrain<IEngineWorkerGrain>(Guid.NewGuid().ToString("N"))
                    .PlanAsync(JsonSerializer.Serialize(settingsOfJob, Json), owner)).WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A dead silo the membership has not yet declared dead fails calls routed through it: ask another.
                if (DateTime.UtcNow > giveUp)
                    throw new JobRefusedException(StatusCodes.Status503ServiceUnavailable, "No worker could plan the job",
                        $"No engine worker answered within {WaitForWorkers.TotalSeconds:0} s (last: {worker.Name}: {ex.Message}); the cluster may be settling after a worker left. Try again.");
                logger.LogWarning("Planning a job failed on worker {Worker} ({Message}); asking another", worker.Name, ex.Message);
                failed.Add(worker.Silo);
            }
        }
        if (plan.ErrorMessage is { } message)
            throw new CamRequestException(Enum.TryParse(plan.ErrorKind, out CamRequestErrorKind kind) ? kind : CamRequestErrorKind.InvalidValue,
                plan.ErrorField ?? CamRequestFields.Model, message);
        return new PreparedJob(plan.ModelName, plan.ModelSha256, plan.Layer, plan.Methods, plan.Labels, plan.ForwardsPerPhoto)
        {
            Settings = settingsOfJob,
            Owner = owner,
        };
    }

    /// <summary>The job's model as this studio's catalog has it (name, SHA-256), or null when the studio lacks it.</summary>
    private (string Name, string Sha256)? StudioModel(string model)
    {
        if (catalog is null)
            return null;
        string name = model.Trim().Length > 0 ? model.Trim() : catalog.ChosenDefault ?? ModelCatalog.DefaultModelName;
        CatalogEntry? entry = catalog.Find(name);
        return entry is { IsUsable: true, Manifest.Sha256: { Length: > 0 } sha } ? (entry.Name, sha) : null;
    }

    public async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        var photos = new List<WorkerPhoto>(photoPaths.Count);
        foreach (string path in photoPaths)
            photos.Add(new WorkerPhoto(Path.GetFileName(path), await File.ReadAllBytesAsync(path, cancellationToken)));
        // The worker's forward passes come back through an observer of this batch, as the engine reports them.
        var relay = progress is null ? null : new BatchProgressRelay(progress);
        IBatchProgressObserver? observer = relay is null ? null : client.CreateObjectReference<IBatchProgressObserver>(relay);
        try
        {
            // The settings travel as JSON: the worker plans them exactly as this studio's engine would.
            var batch = new WorkerBatch(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(photoPaths[0]))) ?? "",
                JsonSerializer.Serialize(job.Settings ?? throw new InvalidOperationException("A cluster job is planned by PrepareAsync (it keeps the settings)."), Json),
                job.Owner ?? "", job.ModelName, job.ModelSha256, photos, observer);
            return await SendAsync(job, batch, photoPaths.Count, cancellationToken);
        }
        finally
        {
            if (observer is not null)
                client.DeleteObjectReference<IBatchProgressObserver>(observer);
            // Orleans holds the observer weakly: keep it alive until the batch is answered.
            GC.KeepAlive(relay);
        }
    }

    /// <summary>Sends the batch to a worker that has the model, and to another when one refuses, fails or leaves.</summary>
    private async Task<IReadOnlyList<PhotoOutcome>> SendAsync(PreparedJob job, WorkerBatch batch, int photoCount, CancellationToken cancellationToken)
    {
        var refused = new Dictionary<string, string>();
        var failed = new HashSet<string>();
        TimeSpan timeout = TimeSpan.FromSeconds(Math.Max(10, settings.Value.BatchTimeoutSeconds));
        DateTime giveUp = DateTime.UtcNow + timeout + WaitForWorkers;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            WorkerStatus? worker = await ChooseAsync(w => HasModel(w, job.ModelName, job.ModelSha256) && !refused.ContainsKey(w.Silo), failed, cancellationToken);
            if (worker is null)
            {
                if (DateTime.UtcNow < giveUp && failed.Count > 0)
                {
                    // Every worker failed this batch once: the cluster may be settling (a worker declared dead, one joining).
                    failed.Clear();
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    continue;
                }
                throw new JobRefusedException(StatusCodes.Status503ServiceUnavailable, "No worker has the model", NoWorkerReason(job.ModelName, job.ModelSha256, refused));
            }
            _inFlight.AddOrUpdate(worker.Silo, 1, (_, n) => n + 1);
            try
            {
                WorkerBatchResult result = await CallWhileAliveAsync(worker, batch, timeout, cancellationToken);
                if (result.Refusal is { } refusal)
                {
                    refused[worker.Silo] = refusal;
                    continue;
                }
                if (result.Photos.Count != photoCount)
                    throw new InvalidDataException($"Worker {result.Worker} answered {result.Photos.Count} outcomes for {photoCount} photos.");
                return [.. result.Photos.Select(p => WorkerResults.FromWire(p) with { Worker = result.Worker, ComputedUnixMs = result.FinishedUnixMs })];
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Batch of job {JobId} failed on worker {Worker} ({Message}); it goes to another worker", batch.JobId, worker.Name, ex.Message);
                failed.Add(worker.Silo);
            }
            finally
            {
                _inFlight.AddOrUpdate(worker.Silo, 0, (_, n) => Math.Max(0, n - 1));
            }
        }
    }

    private static bool HasModel(WorkerStatus worker, string name, string sha256) =>
        worker.Models.Any(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase)
            && (sha256.Length == 0 || string.Equals(m.Sha256, sha256, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Why no worker can run the job: each worker's refusal, or which models (and SHA-256 of a same-named one) it has.</summary>
    private string NoWorkerReason(string model, string sha256, Dictionary<string, string> refused)
    {
        IReadOnlyList<WorkerStatus> all = workers.Snapshot;
        string which = all.Count == 0 ? "no worker is connected"
            : string.Join("; ", all.Select(w => refused.TryGetValue(w.Silo, out string? r) ? r
                : $"{w.Name} has {(w.Models.Count == 0 ? "no models" : string.Join(", ", w.Models.Select(m =>
                    string.Equals(m.Name, model, StringComparison.OrdinalIgnoreCase) ? $"{m.Name} with SHA-256 {Short(m.Sha256 ?? "")}" : m.Name)))}"));
        return $"No worker can run this job: it needs model '{model}' (SHA-256 {Short(sha256)}), and {which}. "
            + "Copy the model to a worker's models folder (camstudio models add).";
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : (sha.Length == 0 ? "(none)" : sha);

    /// <summary>The live worker with the fewest batches in flight (this studio's count, then its own reported queue).</summary>
    private async Task<WorkerStatus?> ChooseAsync(Func<WorkerStatus, bool> suitable, IReadOnlySet<string> exclude, CancellationToken cancellationToken)
    {
        DateTime until = DateTime.UtcNow + WaitForWorkers;
        while (true)
        {
            IReadOnlyList<WorkerStatus> live = await workers.LiveAsync(cancellationToken);
            var candidates = live.Where(w => suitable(w) && !exclude.Contains(w.Silo)).ToList();
            if (candidates.Count > 0)
                return candidates.OrderBy(w => _inFlight.GetValueOrDefault(w.Silo)).ThenBy(w => w.Queue).ThenBy(_ => Random.Shared.Next()).First();
            // Right after start-up no worker may have reported yet: wait a little for one, not forever.
            if (live.Count > 0 || DateTime.UtcNow > until)
                return null;
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        }
    }

    /// <summary>Calls the worker, giving up as soon as it leaves the cluster's live members (a worker killed mid-batch).</summary>
    private async Task<WorkerBatchResult> CallWhileAliveAsync(WorkerStatus worker, WorkerBatch batch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task<WorkerBatchResult> call = WithHint(worker, () => client.GetGrain<IEngineWorkerGrain>(Guid.NewGuid().ToString("N")).ExplainAsync(batch));
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task finished = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken));
            if (finished == call)
                return await call;
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
                throw Abandon(call, new TimeoutException($"no answer in {timeout.TotalSeconds:0} s"));
            if (!await workers.IsMemberAsync(worker, cancellationToken))
                throw Abandon(call, new IOException($"worker {worker.Name} left the cluster"));
        }
    }

    private static Exception Abandon(Task call, Exception reason)
    {
        // The call may still end (in error) later: observe it so it is not an unobserved task exception.
        _ = call.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        return reason;
    }

    private static Task<T> WithHint<T>(WorkerStatus worker, Func<Task<T>> call)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, SiloAddress.FromParsableString(worker.Silo));
        try
        {
            return call();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }
}
