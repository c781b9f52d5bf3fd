using CamStudio.Engine;
using CamStudio.Web.Access;
using CamStudio.Web.Studio;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Jobs;

/// <summary>The HTTP API of batch jobs under <c>/api/jobs</c>. Errors are RFC 7807 problem details.</summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/jobs").WithTags("Jobs");
        // A data folder that cannot be written turns jobs off (503 naming the folder); the studio goes on.
        group.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<IJobStore>().UnavailableReason is { } off
                ? Results.Problem(title: "Jobs are off", detail: off, statusCode: StatusCodes.Status503ServiceUnavailable)
                : await next(context));
        group.MapPost("", CreateAsync).DisableAntiforgery();
        group.MapGet("", List);
        group.MapGet("{id}", (string id, HttpContext context, IJobStore store) => Find(context, store, id) is { } job ? Results.Ok(JobSummary.Of(job)) : NotFound(id));
        group.MapGet("{id}/results", (string id, HttpContext context, IJobStore store) =>
            Find(context, store, id) is { } job ? Results.Ok(new { job = JobSummary.Of(job), photos = store.ListPhotos(id) }) : NotFound(id));
        group.MapGet("{id}/export", Export);
        group.MapGet("{id}/files/{**path}", File);
        group.MapGet("{id}/photos/{photo:int}", Photo);
        group.MapDelete("{id}", CancelAsync);
        return group;
    }

    /// <summary>Most jobs one listing page holds (<c>?pageSize=</c> is capped here).</summary>
    public const int MaxPageSize = 100;

    public const int DefaultPageSize = 50;

    /// <summary>The jobs a caller may see (one page): the host sees every session's, a session only its own.</summary>
    public static IReadOnlyList<JobInfo> VisibleJobs(StudioCaller caller, IJobStore store, int page = 1, int pageSize = DefaultPageSize) =>
        store.ListJobs(limit: pageSize, ownedBy: OwnerFilter(caller), offset: (page - 1) * pageSize);

    public static int CountVisibleJobs(StudioCaller caller, IJobStore store) => store.CountJobs(OwnerFilter(caller));

    private static string? OwnerFilter(StudioCaller caller) => caller.IsHost ? null : caller.SessionId;

    /// <summary>
    /// <c>GET /api/jobs?page=1&amp;pageSize=50</c>: one page of the caller's jobs, newest first, with counts only
    /// (skipped entries' reasons are in <c>GET /api/jobs/{id}</c>), and why jobs wait if they do.
    /// </summary>
    private static IResult List(HttpContext context, IJobStore store, JobRunner runner, int? page, int? pageSize)
    {
        if (page is < 1 || pageSize is < 1 or > MaxPageSize)
            return BadInput($"page must be at least 1 and pageSize between 1 and {MaxPageSize}.");
        StudioCaller caller = context.GetStudioCaller();
        int size = pageSize ?? DefaultPageSize, number = page ?? 1;
        var jobs = VisibleJobs(caller, store, number, size).Select(j => JobSummary.Of(j, withSkipped: false)).ToList();
        return Results.Ok(new JobPage(number, size, CountVisibleJobs(caller, store), runner.WaitingReason, jobs));
    }

    /// <summary>
    /// The job if it exists and the caller may see it. Another session's job answers exactly like a missing one
    /// (404), so job ids cannot be probed.
    /// </summary>
    private static JobInfo? Find(HttpContext context, IJobStore store, string id) =>
        JobFiles.IsValidId(id) && store.GetJob(id) is { } job && context.GetStudioCaller().CanAccess(job.Owner) ? job : null;

    private static IResult NotFound(string id) =>
        Results.Problem(title: "No such job", detail: $"There is no job '{id}'.", statusCode: StatusCodes.Status404NotFound);

    private static IResult BadInput(string detail) =>
        Results.Problem(title: "The job was not accepted", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>
    /// Multipart form: <c>photos</c> (repeated files), or <c>archive</c> (one ZIP), or <c>folder</c> (a server path,
    /// only from the host itself); optional <c>model</c>, <c>methods</c>, <c>classes</c>, <c>layer</c>. The body is
    /// read as it arrives, straight into the job's folder (<see cref="JobUploadReader"/>).
    /// </summary>
    private static async Task<IResult> CreateAsync(HttpContext context, JobSubmitter submitter, IOptions<JobOptions> options,
        ILogger<JobSubmitter> logger, CancellationToken cancellationToken)
    {
        if (JobUploadReader.Boundary(context.Request.ContentType) is not { } boundary)
            return BadInput("Send the job as multipart/form-data (with its boundary) with 'photos' (files), 'archive' (a ZIP) or 'folder'.");
        long maxUpload = options.Value.MaxUploadBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = maxUpload;
        if (context.Request.ContentLength > maxUpload)
            return TooLarge(maxUpload);
        StudioCaller caller = context.GetStudioCaller();
        try
        {
            using JobIntake intake = submitter.Begin(caller);
            JobUploadForm form = await JobUploadReader.ReadAsync(context.Request.Body, boundary, intake, maxUpload, cancellationToken);
            string? folder = form.Field("folder");
            int sources = (form.PhotoParts > 0 ? 1 : 0) + (form.ArchiveParts > 0 ? 1 : 0) + (string.IsNullOrWhiteSpace(folder) ? 0 : 1);
            if (sources != 1)
                return BadInput(sources == 0
                    ? "No photos: send files as 'photos', a ZIP as 'archive', or (from the host) a server 'folder'."
                    : "Send exactly one source: 'photos', 'archive' or 'folder'.");
            if (!string.IsNullOrWhiteSpace(folder))
            {
                if (!caller.IsHost)
                    return Results.Problem(title: "Server folders are for the host only",
                        detail: "A job from a folder on the server can be started only on the host itself (localhost); upload photos or a ZIP instead.",
                        statusCode: StatusCodes.Status403Forbidden);
                await intake.Writer.AddFolderAsync(folder.Trim(), cancellationToken);
            }
            JobSettings settings = JobSubmitter.WithPictures(JobSubmitter.WithMetrics(JobSubmitter.WithFeatures(
                JobSubmitter.ParseSettings(form.Field("model"), form.Values("methods"), form.Field("classes"), form.Field("layer"), form.Values("options")),
                form.Field("fuse"), form.Field("aug_smooth"), form.Field("eigen_smooth")),
                form.Values("metrics"), form.Field("steps"), form.Field("baselines"), form.Field("baseline")),
                form.Field("guided"), form.Field("concepts"), form.Field("concept_classes"));
            JobInfo job = await submitter.CommitAsync(intake, settings, cancellationToken);
            return Results.Accepted($"/api/jobs/{job.Id}", new { jobId = job.Id, total = job.Total, skippedCount = job.SkippedCount, skipped = job.Skipped });
        }
        catch (JobRefusedException ex)
        {
            return Results.Problem(title: ex.Title, detail: ex.Message, statusCode: ex.StatusCode);
        }
        catch (CamRequestException ex)
        {
            return ApiProblems.Of(ex).Result;
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(maxUpload);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Results.Problem(title: "Cancelled", detail: "The client cancelled the upload.", statusCode: 499);
        }
        catch (Exception ex)
        {
            string errorId = ErrorIds.New();
            logger.LogError(ex, "Taking a job in failed (error id {ErrorId})", errorId);
            return Results.Problem(title: "The job could not be stored", detail: $"The server could not store the job; see the server log (id {errorId}).",
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    private static IResult TooLarge(long maxUpload) =>
        Results.Problem(title: "Upload too large",
            detail: $"The upload is larger than {maxUpload} bytes (CamStudio:Jobs:MaxUploadBytes); nothing of it was kept.",
            statusCode: StatusCodes.Status413PayloadTooLarge);

    private static IResult Export(string id, HttpContext context, IJobStore store, JobExporter exporter)
    {
        if (Find(context, store, id) is not { } job)
            return NotFound(id);
        if (job.Done + job.Failed == 0)
            return Results.Problem(title: "Nothing to export yet", detail: $"Job {id} has no finished photos yet.", statusCode: StatusCodes.Status409Conflict);
        // Built in a temp file (deleted on close): the ZIP writer is synchronous and the response is not.
        var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        exporter.Write(job, temp);
        temp.Position = 0;
        return Results.File(temp, "application/zip", $"camstudio-job-{id}.zip");
    }

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>A result file (thumbnail, overlay, map) of a job.</summary>
    private static IResult File(string id, string path, HttpContext context, IJobStore store, JobFiles files)
    {
        if (Find(context, store, id) is null)
            return NotFound(id);
        string full;
        try
        {
            full = JobFiles.Inside(files.ResultsDirectory(id), path);
        }
        catch (InvalidOperationException)
        {
            return Results.Problem(title: "Bad path", detail: $"'{path}' is not a result file of job {id}.", statusCode: StatusCodes.Status400BadRequest);
        }
        if (!System.IO.File.Exists(full) || full.EndsWith(".partial", StringComparison.Ordinal))
            return Results.Problem(title: "No such file", detail: $"Job {id} has no result file '{path}'.", statusCode: StatusCodes.Status404NotFound);
        string type = ContentTypes.TryGetContentType(full, out string? known) ? known : "application/octet-stream";
        return Results.File(full, type);
    }

    /// <summary>The input photo number <paramref name="photo"/> of a job, as uploaded (for the explorer's "open" link).</summary>
    private static IResult Photo(string id, int photo, HttpContext context, IJobStore store, JobPhotos photos)
    {
        if (Find(context, store, id) is null)
            return NotFound(id);
        if (photos.Open(id, photo) is not { } found)
            return Results.Problem(title: "No such photo", detail: $"There is no photo {photo} in job '{id}'.", statusCode: StatusCodes.Status404NotFound);
        string type = ContentTypes.TryGetContentType(found.FileName, out string? known) ? known : "application/octet-stream";
        return Results.Stream(found.Content, type, fileDownloadName: found.FileName);
    }

    /// <summary>
    /// <c>DELETE /api/jobs/{id}</c> cancels a queued or running job; with <c>?purge=true</c> the job is deleted with
    /// its files, whatever its state (a running job is cancelled first).
    /// </summary>
    private static async Task<IResult> CancelAsync(string id, bool? purge, HttpContext context, IJobStore store, JobRunner runner)
    {
        if (Find(context, store, id) is not { } job)
            return NotFound(id);
        if (purge == true)
        {
            await runner.PurgeAsync(id);
            return Results.Ok(new { jobId = id, deleted = true });
        }
        if (!await runner.CancelAsync(id))
            return Results.Problem(title: "The job has already ended", detail: $"Job {id} is {job.State.ToText()}; there is nothing to cancel.", statusCode: StatusCodes.Status409Conflict);
        return Results.Accepted($"/api/jobs/{id}", JobSummary.Of(store.GetJob(id)!));
    }
}

/// <summary>A job's state and counts as the API shows it.</summary>
/// <param name="SkippedCount">Entries left out in all; <paramref name="Skipped"/> holds the first 100 with their reason (empty in listings).</param>
public sealed record JobSummary(
    string JobId, string State, int Total, int Done, int Failed, JobSettings Settings, string? ModelName, string? ModelSha256,
    DateTimeOffset CreatedUtc, DateTimeOffset? StartedUtc, DateTimeOffset? FinishedUtc, string? Error, int Runs, int SkippedCount, IReadOnlyList<IntakeIssue> Skipped)
{
    public static JobSummary Of(JobInfo job) => Of(job, withSkipped: true);

    public static JobSummary Of(JobInfo job, bool withSkipped) => new(job.Id, job.State.ToText(), job.Total, job.Done, job.Failed, job.Settings,
        job.ModelName, job.ModelSha256, job.CreatedUtc, job.StartedUtc, job.FinishedUtc, job.Error, job.Runs, job.SkippedCount, withSkipped ? job.Skipped : []);
}

/// <summary>One page of <c>GET /api/jobs</c>. <paramref name="Waiting"/>: why queued jobs do not run now (e.g. a full disk), or null.</summary>
public sealed record JobPage(int Page, int PageSize, int Total, string? Waiting, IReadOnlyList<JobSummary> Jobs);
