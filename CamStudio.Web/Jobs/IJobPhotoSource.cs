using CamStudio.Web.Access;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A job's input photo for other features (the studio's "open this photo of a job"), without reaching into the
/// job store or the job folders.
/// </summary>
public interface IJobPhotoSource
{
    /// <summary>
    /// Photo <paramref name="index"/> of job <paramref name="jobId"/> as uploaded, when it exists and
    /// <paramref name="caller"/> may see the job (another session's job answers null, like a missing one).
    /// </summary>
    /// <returns>Its display name and an open read stream (the caller disposes it), or null.</returns>
    Task<(string FileName, Stream Content)?> OpenAsync(string jobId, int index, StudioCaller caller, CancellationToken cancellationToken);
}
