using CamStudio.Web.Access;
using CamStudio.Web.Jobs;

namespace CamStudio.Web.Services;

/// <summary>
/// <see cref="IJobPhotoSource"/> over the job store and its files (an adapter until the jobs feature registers its
/// own). Another session's job is "no photo", as in the jobs API.
/// </summary>
public sealed class JobStorePhotoSource(JobStore store, JobFiles files) : IJobPhotoSource
{
    public Task<JobPhotoFile?> OpenAsync(string jobId, int index, StudioCaller caller, CancellationToken cancellationToken)
    {
        bool mine = JobFiles.IsValidId(jobId) && store.GetJob(jobId) is { } job && caller.CanAccess(job.Owner);
        JobPhoto? photo = mine ? store.ListPhotos(jobId).FirstOrDefault(p => p.Index == index) : null;
        string? input = photo is null ? null : store.InputFileOf(jobId, index);
        if (photo is null || input is null)
            return Task.FromResult<JobPhotoFile?>(null);
        Stream stream = File.OpenRead(JobFiles.Inside(files.InputDirectory(jobId), input));
        return Task.FromResult<JobPhotoFile?>(new JobPhotoFile(Path.GetFileName(photo.FileName), stream));
    }
}
