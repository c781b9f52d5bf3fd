using CamStudio.Web.Access;
using CamStudio.Web.Studio;

namespace CamStudio.Web.Jobs;

/// <summary>A job's input photos for other parts of the app (the API's photo download, the studio's "open from job" link).</summary>
public sealed class JobPhotos(IJobStore store, JobFiles files) : IJobPhotoSource
{
    /// <summary>Photo <paramref name="photo"/> of job <paramref name="jobId"/> as uploaded, or null when there is none.</summary>
    /// <returns>Its display name and an open read stream (the caller disposes it).</returns>
    public (string FileName, Stream Content)? Open(string jobId, int photo)
    {
        if (!JobFiles.IsValidId(jobId) || store.GetJob(jobId) is null)
            return null;
        string? input = store.InputFileOf(jobId, photo);
        JobPhoto? found = input is null ? null : store.ListPhotos(jobId).FirstOrDefault(p => p.Index == photo);
        if (input is null || found is null)
            return null;
        string path = JobFiles.Inside(files.InputDirectory(jobId), input);
        return File.Exists(path) ? (Path.GetFileName(found.FileName), File.OpenRead(path)) : null;
    }

    /// <summary>The studio's view: another session's job (or jobs being off) is "no photo", as in the jobs API.</summary>
    public Task<JobPhotoFile?> OpenAsync(string jobId, int index, StudioCaller caller, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (store.UnavailableReason is not null || !JobFiles.IsValidId(jobId) || store.GetJob(jobId) is not { } job || !caller.CanAccess(job.Owner))
            return Task.FromResult<JobPhotoFile?>(null);
        return Task.FromResult(Open(jobId, index) is { } found ? new JobPhotoFile(found.FileName, found.Content) : null);
    }
}
