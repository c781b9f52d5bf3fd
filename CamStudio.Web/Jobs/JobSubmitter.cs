using CamStudio.Web.Access;

namespace CamStudio.Web.Jobs;

/// <summary>Creates jobs: checks the settings against the model, takes the photos in, stores the job, wakes the runner.</summary>
public sealed class JobSubmitter(JobStore store, JobFiles files, PhotoIntake intake, IPhotoBatchExplainer explainer, JobRunner runner, ILogger<JobSubmitter> logger)
{
    public Task<JobInfo> SubmitFilesAsync(StudioCaller caller, JobSettings settings, IReadOnlyList<IncomingPhoto> photos, CancellationToken cancellationToken) =>
        SubmitAsync(caller, settings, input => intake.TakeFilesAsync(photos, input, cancellationToken), cancellationToken);

    public Task<JobInfo> SubmitArchiveAsync(StudioCaller caller, JobSettings settings, Stream archive, string archiveName, CancellationToken cancellationToken) =>
        SubmitAsync(caller, settings, input => intake.TakeArchiveAsync(archive, archiveName, input, cancellationToken), cancellationToken);

    /// <summary>A folder on the server: only the host may read the server's disk (callers show their own refusal first).</summary>
    public Task<JobInfo> SubmitFolderAsync(StudioCaller caller, JobSettings settings, string folder, CancellationToken cancellationToken) =>
        caller.IsHost
            ? SubmitAsync(caller, settings, input => intake.TakeFolderAsync(folder, input, cancellationToken), cancellationToken)
            : throw new UnauthorizedAccessException("Jobs from server folders are for the host only.");

    private async Task<JobInfo> SubmitAsync(StudioCaller caller, JobSettings settings, Func<string, Task<IntakeResult>> take, CancellationToken cancellationToken)
    {
        if (settings.Methods.Count == 0)
            throw new JobInputException("No CAM method was chosen (e.g. methods=gradcam).");
        // Unknown model, layer, method or class names are refused now, not after the photos are queued.
        await explainer.PrepareAsync(settings, cancellationToken);
        string id = JobFiles.NewId();
        string jobDirectory = files.JobDirectory(id);
        try
        {
            IntakeResult intake = await take(files.InputDirectory(id));
            store.CreateJob(id, settings, intake.Photos, intake.Skipped, DateTimeOffset.UtcNow, caller.IsHost ? null : caller.SessionId);
        }
        catch
        {
            if (Directory.Exists(jobDirectory))
                Directory.Delete(jobDirectory, recursive: true);
            throw;
        }
        JobInfo job = store.GetJob(id)!;
        logger.LogInformation("Job {JobId} queued for {Owner}: {Total} photos, {Skipped} entries skipped", id, job.Owner, job.Total, job.Skipped.Count);
        runner.Wake();
        return job;
    }

    /// <summary>Reads form-style settings: methods and classes are comma-separated, empty values take defaults.</summary>
    public static JobSettings ParseSettings(string? model, IEnumerable<string?> methods, string? classes, string? layer)
    {
        var methodList = methods.SelectMany(m => (m ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(m => m.ToLowerInvariant()).Distinct().ToList();
        return new JobSettings(
            Model: model?.Trim() ?? "",
            Methods: methodList.Count == 0 ? JobSettings.Default.Methods : methodList,
            Classes: string.IsNullOrWhiteSpace(classes) ? JobSettings.Default.Classes : classes.Trim(),
            Layer: string.IsNullOrWhiteSpace(layer) ? JobSettings.Default.Layer : layer.Trim());
    }
}
