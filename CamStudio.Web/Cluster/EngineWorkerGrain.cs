using System.Collections.Concurrent;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Web.Jobs;

namespace CamStudio.Web.Cluster;

/// <summary>
/// The engine of one worker behind <see cref="IEngineWorkerGrain"/>: the same <see cref="EnginePhotoBatchExplainer"/>
/// the single process uses (so maps and overlays are the same bytes), on photos the studio sent. A batch of a model
/// this worker lacks, or has with another SHA-256, is refused with the reason.
/// </summary>
[EnginePlacement]
public sealed class EngineWorkerGrain(EnginePhotoBatchExplainer explainer, WorkerLoad load, WorkerIdentity identity, ILogger<EngineWorkerGrain> logger)
    : Grain, IEngineWorkerGrain
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Plans of this worker, by settings and owner (a job's batches reuse its plan; the loaded model stays cached).</summary>
    private static readonly ConcurrentDictionary<string, Task<PreparedJob>> Plans = new();

    public async Task<WorkerPlan> PlanAsync(string settingsJson, string owner)
    {
        DeactivateOnIdle();
        try
        {
            PreparedJob job = await PlanOfAsync(settingsJson, owner);
            return new WorkerPlan(identity.Name, job.ModelName, job.ModelSha256, job.Layer, job.Methods, job.Labels, job.ForwardsPerPhoto, null, null, null);
        }
        catch (CamRequestException ex)
        {
            return new WorkerPlan(identity.Name, "", "", "", [], [], 0, ex.Kind.ToString(), ex.Field, ex.Message);
        }
    }

    public async Task<WorkerBatchResult> ExplainAsync(WorkerBatch batch)
    {
        DeactivateOnIdle();
        PreparedJob job;
        try
        {
            job = await PlanOfAsync(batch.SettingsJson, batch.Owner);
        }
        catch (CamRequestException ex)
        {
            return Refuse($"worker {identity.Name} cannot run model '{batch.ModelName}': {ex.Message}");
        }
        if (!string.Equals(job.ModelSha256, batch.ModelSha256, StringComparison.OrdinalIgnoreCase))
            return Refuse($"worker {identity.Name} has model '{job.ModelName}' with SHA-256 {Short(job.ModelSha256)}, the job needs {Short(batch.ModelSha256)}");

        string folder = Path.Combine(Path.GetTempPath(), "camstudio-worker", Guid.NewGuid().ToString("N"));
        load.Enter();
        int explained = 0;
        try
        {
            Directory.CreateDirectory(folder);
            var paths = new List<string>(batch.Photos.Count);
            for (int i = 0; i < batch.Photos.Count; i++)
            {
                string path = Path.Combine(folder, $"{i:D4}{Path.GetExtension(batch.Photos[i].FileName)}");
                await File.WriteAllBytesAsync(path, batch.Photos[i].Bytes);
                paths.Add(path);
            }
            IProgress<ExplainProgress>? progress = batch.Progress is { } observer ? new BatchProgressReporter(observer) : null;
            IReadOnlyList<PhotoOutcome> outcomes = await explainer.ExplainBatchAsync(job, paths, progress, CancellationToken.None);
            explained = outcomes.Count;
            // Reasons name the photo as the user knows it, not this worker's temp file.
            var results = outcomes.Select((o, i) => WorkerResults.ToWire(o is PhotoOutcome.Failed f
                ? new PhotoOutcome.Failed(f.Reason.Replace(paths[i], batch.Photos[i].FileName, StringComparison.Ordinal)
                    .Replace(Path.GetFileName(paths[i]), batch.Photos[i].FileName, StringComparison.Ordinal))
                : o)).ToList();
            return new WorkerBatchResult(identity.Name, results, null, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        }
        finally
        {
            load.Exit(explained);
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException ex)
            {
                logger.LogWarning("Could not remove {Folder}: {Message}", folder, ex.Message);
            }
        }
    }

    private WorkerBatchResult Refuse(string reason)
    {
        logger.LogWarning("Refused a batch: {Reason}", reason);
        return new WorkerBatchResult(identity.Name, [], reason, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] + "…" : (sha.Length == 0 ? "(none)" : sha);

    private async Task<PreparedJob> PlanOfAsync(string settingsJson, string owner)
    {
        JobSettings settings = JsonSerializer.Deserialize<JobSettings>(settingsJson, Json)
            ?? throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Model, "The job's settings are missing.");
        if (Plans.Count > 64)
            Plans.Clear();
        Task<PreparedJob> plan = Plans.GetOrAdd(settingsJson + "\n" + owner, _ => explainer.PrepareAsync(settings, owner, CancellationToken.None));
        try
        {
            return await plan;
        }
        catch
        {
            // A failed plan (a model added later, a file fixed) is tried again next time.
            Plans.TryRemove(settingsJson + "\n" + owner, out _);
            throw;
        }
    }
}
