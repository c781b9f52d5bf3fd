using CamStudio.Engine;
using CamStudio.Web.Access;

namespace CamStudio.Web.Jobs;

/// <summary>
/// Creates jobs: opens an intake within the caller's quota and the disk's room, takes the photos in, checks the
/// settings against the model, stores the job, wakes the runner.
/// </summary>
public sealed class JobSubmitter(IJobStore store, JobFiles files, PhotoIntake intake, JobQuota quota, IPhotoBatchExplainer explainer, JobRunner runner, ILogger<JobSubmitter> logger)
{
    public Task<JobInfo> SubmitFilesAsync(StudioCaller caller, JobSettings settings, IReadOnlyList<IncomingPhoto> photos, CancellationToken cancellationToken) =>
        SubmitAsync(caller, settings, async writer =>
        {
            foreach (IncomingPhoto photo in photos)
                await writer.Writer.AddPhotoAsync(photo.Name, photo.Open, cancellationToken);
        }, cancellationToken);

    public Task<JobInfo> SubmitArchiveAsync(StudioCaller caller, JobSettings settings, Stream archive, string archiveName, CancellationToken cancellationToken) =>
        SubmitAsync(caller, settings, job => job.Writer.AddArchiveAsync(archive, archiveName, cancellationToken), cancellationToken);

    /// <summary>A folder on the server: only the host may read the server's disk (callers show their own refusal first).</summary>
    public Task<JobInfo> SubmitFolderAsync(StudioCaller caller, JobSettings settings, string folder, CancellationToken cancellationToken) =>
        caller.IsHost
            ? SubmitAsync(caller, settings, job => job.Writer.AddFolderAsync(folder, cancellationToken), cancellationToken)
            : throw new UnauthorizedAccessException("Jobs from server folders are for the host only.");

    /// <summary>Settings first (nothing is written for a job that would be refused anyway), then the photos.</summary>
    public async Task<JobInfo> SubmitAsync(StudioCaller caller, JobSettings settings, Func<JobIntake, Task> take, CancellationToken cancellationToken)
    {
        await CheckSettingsAsync(caller, settings, cancellationToken);
        using JobIntake job = Begin(caller);
        await take(job);
        return await CommitAsync(job, settings, cancellationToken);
    }

    /// <summary>
    /// The engine plans the job as it will run it: an unknown model, layer, method or class, or a method that does not
    /// apply at that layer, is a <see cref="CamRequestException"/> naming the field, before the photos are queued.
    /// </summary>
    public async Task CheckSettingsAsync(StudioCaller caller, JobSettings settings, CancellationToken cancellationToken) =>
        await explainer.PrepareAsync(settings, caller.SessionId, cancellationToken);

    /// <summary>
    /// A new, empty job of <paramref name="caller"/> (streamed uploads fill it before their settings are known).
    /// Throws when jobs are off, the caller's job count or quota is reached, or the disk has no room.
    /// </summary>
    public JobIntake Begin(StudioCaller caller)
    {
        if (store.UnavailableReason is { } off)
            throw new JobsUnavailableException(off);
        QuotaLease lease = quota.Open(caller);
        string id = JobFiles.NewId();
        return new JobIntake(id, caller, files.JobDirectory(id), intake.Begin(files.InputDirectory(id), lease.Budget), lease);
    }

    /// <summary>Checks the settings (again: cheap once the model is loaded) and stores the job; the intake's folder is kept.</summary>
    public async Task<JobInfo> CommitAsync(JobIntake job, JobSettings settings, CancellationToken cancellationToken)
    {
        await CheckSettingsAsync(job.Caller, settings, cancellationToken);
        IntakeResult taken = job.Writer.Finish();
        try
        {
            store.CreateJob(job.Id, settings, taken.Photos, taken.Skipped, DateTimeOffset.UtcNow, job.Caller.IsHost ? null : job.Caller.SessionId, taken.SkippedCount);
        }
        catch (Exception ex) when (JobDisk.IsDiskFull(ex))
        {
            throw new DiskFullException($"disk full: the job could not be stored ({StoreRetry.OneLine(ex.Message)}).");
        }
        job.Committed = true;
        JobInfo stored = store.GetJob(job.Id)!;
        logger.LogInformation("Job {JobId} queued for {Owner}: {Total} photos, {Skipped} entries skipped", job.Id, stored.Owner, stored.Total, stored.SkippedCount);
        runner.Wake();
        return stored;
    }

    /// <summary>
    /// Reads form-style settings: methods and classes are comma-separated, empty values take defaults, options are
    /// <c>name=value</c> pairs (<see cref="MethodOptionText"/>; a malformed pair is a <see cref="CamRequestException"/>).
    /// </summary>
    public static JobSettings ParseSettings(string? model, IEnumerable<string?> methods, string? classes, string? layer, IEnumerable<string?>? options = null)
    {
        var methodList = methods.SelectMany(m => (m ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(m => m.ToLowerInvariant()).Distinct().ToList();
        // "a,b,c": several layers, fused (see WithFeatures for how).
        string[] layers = (layer ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (layers.Length > 1)
            layer = layers[0];
        return new JobSettings(
            Model: model?.Trim() ?? "",
            Methods: methodList.Count == 0 ? JobSettings.Default.Methods : methodList,
            Classes: string.IsNullOrWhiteSpace(classes) ? JobSettings.Default.Classes : classes.Trim(),
            Layer: string.IsNullOrWhiteSpace(layer) ? JobSettings.Default.Layer : layer.Trim())
        {
            Options = MethodOptionText.Parse(options ?? []),
            Layers = layers.Length > 1 ? layers : [],
        };
    }

    /// <summary>The request-wide features from form fields: <c>fuse</c>, and the switches <c>aug_smooth</c>, <c>eigen_smooth</c> ("true", "1" or "on").</summary>
    public static JobSettings WithFeatures(JobSettings settings, string? fuse, string? augSmooth, string? eigenSmooth) => settings with
    {
        Fuse = string.IsNullOrWhiteSpace(fuse) ? null : fuse.Trim(),
        AugSmooth = IsOn(augSmooth),
        EigenSmooth = IsOn(eigenSmooth),
    };

    /// <summary>
    /// The metrics from form fields: <c>metrics</c> (comma-separated ids; absent or empty: none, "default": the engine's
    /// default set), <c>steps</c>, <c>baselines</c> (a switch) and <c>baseline</c> (zeros, blur, mean). The engine checks
    /// the values when the job is planned; only a <c>steps</c> that is not a number is refused here.
    /// </summary>
    public static JobSettings WithMetrics(JobSettings settings, IEnumerable<string?> metrics, string? steps, string? baselines, string? baseline)
    {
        var names = metrics.SelectMany(m => (m ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (names.Count == 0)
            return settings;
        int stepCount = string.IsNullOrWhiteSpace(steps) ? JobMetricSettings.DefaultSteps : WholeNumber(steps, "Steps", CamRequestFields.Steps);
        bool defaults = names.Count == 1 && names[0].Equals("default", StringComparison.OrdinalIgnoreCase);
        return settings with
        {
            Metrics = new JobMetricSettings(defaults ? [] : names)
            {
                Steps = stepCount,
                Baselines = IsOn(baselines),
                Baseline = string.IsNullOrWhiteSpace(baseline) ? null : baseline.Trim(),
            },
        };
    }

    /// <summary>
    /// The pictures from form fields: <c>guided</c> (a switch), <c>concepts</c> (K, a whole number; absent or empty:
    /// none) and <c>concept_classes</c> (classes named per concept). The engine checks the numbers when the job is
    /// planned; only values that are not whole numbers are refused here.
    /// </summary>
    public static JobSettings WithPictures(JobSettings settings, string? guided, string? concepts, string? conceptClasses)
    {
        settings = settings with { Guided = IsOn(guided) };
        if (string.IsNullOrWhiteSpace(concepts))
            return settings;
        int count = WholeNumber(concepts, "Concepts", ConceptFields.Concepts);
        int classes = string.IsNullOrWhiteSpace(conceptClasses) ? JobConceptSettings.DefaultClassesPerConcept
            : WholeNumber(conceptClasses, "Classes per concept", ConceptFields.Concepts);
        return settings with { Concepts = new JobConceptSettings(count) { ClassesPerConcept = classes } };
    }

    /// <summary>A form field that must be a whole number; otherwise refused on <paramref name="field"/>, naming <paramref name="what"/>.</summary>
    private static int WholeNumber(string text, string what, string field) =>
        int.TryParse(text.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value) ? value
            : throw new CamRequestException(CamRequestErrorKind.InvalidValue, field, $"{what} must be a whole number, got '{text}'.");

    private static bool IsOn(string? value) => value?.Trim().ToLowerInvariant() is "true" or "1" or "on";
}
