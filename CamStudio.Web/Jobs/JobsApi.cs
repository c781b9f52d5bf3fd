using CamStudio.Web.Access;
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
        group.MapPost("", CreateAsync).DisableAntiforgery();
        group.MapGet("", (HttpContext context, JobStore store) => Results.Ok(VisibleJobs(context.GetStudioCaller(), store).Select(JobSummary.Of)));
        group.MapGet("{id}", (string id, HttpContext context, JobStore store) => Find(context, store, id) is { } job ? Results.Ok(JobSummary.Of(job)) : NotFound(id));
        group.MapGet("{id}/results", (string id, HttpContext context, JobStore store) =>
            Find(context, store, id) is { } job ? Results.Ok(new { job = JobSummary.Of(job), photos = store.ListPhotos(id) }) : NotFound(id));
        group.MapGet("{id}/export", Export);
        group.MapGet("{id}/files/{**path}", File);
        group.MapGet("{id}/photos/{photo:int}", Photo);
        group.MapDelete("{id}", CancelAsync);
        return group;
    }

    /// <summary>The jobs a caller may see: the host sees every session's, a session only its own.</summary>
    public static IReadOnlyList<JobInfo> VisibleJobs(StudioCaller caller, JobStore store) =>
        store.ListJobs(ownedBy: caller.IsHost ? null : caller.SessionId);

    /// <summary>
    /// The job if it exists and the caller may see it. Another session's job answers exactly like a missing one
    /// (404), so job ids cannot be probed.
    /// </summary>
    private static JobInfo? Find(HttpContext context, JobStore store, string id) =>
        JobFiles.IsValidId(id) && store.GetJob(id) is { } job && context.GetStudioCaller().CanAccess(job.Owner) ? job : null;

    private static IResult NotFound(string id) =>
        Results.Problem(title: "No such job", detail: $"There is no job '{id}'.", statusCode: StatusCodes.Status404NotFound);

    private static IResult BadInput(string detail) =>
        Results.Problem(title: "The job was not accepted", detail: detail, statusCode: StatusCodes.Status400BadRequest);

    /// <summary>
    /// Multipart form: <c>photos</c> (repeated files), or <c>archive</c> (one ZIP), or <c>folder</c> (a server path,
    /// only from the host itself); optional <c>model</c>, <c>methods</c>, <c>classes</c>, <c>layer</c>.
    /// </summary>
    private static async Task<IResult> CreateAsync(HttpContext context, JobSubmitter submitter, IOptions<JobOptions> options, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
            return BadInput("Send the job as multipart/form-data with 'photos' (files), 'archive' (a ZIP) or 'folder'.");
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = options.Value.MaxUploadBytes;
        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = options.Value.MaxUploadBytes }, cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return BadInput($"The upload could not be read: {ex.Message}");
        }

        StudioCaller caller = context.GetStudioCaller();
        JobSettings settings = JobSubmitter.ParseSettings(form["model"], form["methods"], form["classes"], form["layer"]);
        var photos = form.Files.GetFiles("photos");
        var archives = form.Files.GetFiles("archive");
        string? folder = form["folder"];
        int sources = (photos.Count > 0 ? 1 : 0) + (archives.Count > 0 ? 1 : 0) + (string.IsNullOrWhiteSpace(folder) ? 0 : 1);
        if (sources != 1)
            return BadInput(sources == 0
                ? "No photos: send files as 'photos', a ZIP as 'archive', or (from the host) a server 'folder'."
                : "Send exactly one source: 'photos', 'archive' or 'folder'.");
        if (archives.Count > 1)
            return BadInput("Send one ZIP 'archive' per job.");
        try
        {
            JobInfo job;
            if (photos.Count > 0)
                job = await submitter.SubmitFilesAsync(caller, settings, [.. photos.Select(f => new IncomingPhoto(f.FileName, f.OpenReadStream))], cancellationToken);
            else if (archives.Count == 1)
            {
                await using Stream archive = archives[0].OpenReadStream();
                job = await submitter.SubmitArchiveAsync(caller, settings, archive, archives[0].FileName, cancellationToken);
            }
            else
            {
                if (!caller.IsHost)
                    return Results.Problem(title: "Server folders are for the host only",
                        detail: "A job from a folder on the server can be started only on the host itself (localhost); upload photos or a ZIP instead.",
                        statusCode: StatusCodes.Status403Forbidden);
                job = await submitter.SubmitFolderAsync(caller, settings, folder!, cancellationToken);
            }
            return Results.Accepted($"/api/jobs/{job.Id}", new { jobId = job.Id, total = job.Total, skipped = job.Skipped });
        }
        catch (JobInputException ex)
        {
            return BadInput(ex.Message);
        }
    }

    private static IResult Export(string id, HttpContext context, JobStore store, JobExporter exporter)
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
    private static IResult File(string id, string path, HttpContext context, JobStore store, JobFiles files)
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
    private static IResult Photo(string id, int photo, HttpContext context, JobStore store, JobPhotos photos)
    {
        if (Find(context, store, id) is null)
            return NotFound(id);
        if (photos.Open(id, photo) is not { } found)
            return Results.Problem(title: "No such photo", detail: $"There is no photo {photo} in job '{id}'.", statusCode: StatusCodes.Status404NotFound);
        string type = ContentTypes.TryGetContentType(found.FileName, out string? known) ? known : "application/octet-stream";
        return Results.Stream(found.Content, type, fileDownloadName: found.FileName);
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext context, JobStore store, JobRunner runner)
    {
        if (Find(context, store, id) is not { } job)
            return NotFound(id);
        if (!await runner.CancelAsync(id))
            return Results.Problem(title: "The job has already ended", detail: $"Job {id} is {job.State.ToText()}; there is nothing to cancel.", statusCode: StatusCodes.Status409Conflict);
        return Results.Accepted($"/api/jobs/{id}", JobSummary.Of(store.GetJob(id)!));
    }
}

/// <summary>A job's state and counts as the API shows it.</summary>
public sealed record JobSummary(
    string JobId, string State, int Total, int Done, int Failed, JobSettings Settings, string? ModelName, string? ModelSha256,
    DateTimeOffset CreatedUtc, DateTimeOffset? StartedUtc, DateTimeOffset? FinishedUtc, string? Error, int Runs, IReadOnlyList<IntakeIssue> Skipped)
{
    public static JobSummary Of(JobInfo job) => new(job.Id, job.State.ToText(), job.Total, job.Done, job.Failed, job.Settings,
        job.ModelName, job.ModelSha256, job.CreatedUtc, job.StartedUtc, job.FinishedUtc, job.Error, job.Runs, job.Skipped);
}
