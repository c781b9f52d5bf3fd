using CamStudio.Web.Access;

namespace CamStudio.Web.Studio;

/// <summary>
/// A batch job's input photo, for the studio's "open in the studio" link (<c>/?job=ID&amp;photo=N</c>). Provided by
/// the jobs feature; the studio never reads the job store or the file system itself.
/// </summary>
public interface IJobPhotoSource
{
    /// <summary>Photo <paramref name="index"/> of job <paramref name="jobId"/>, or null when there is none the caller may see.</summary>
    Task<JobPhotoFile?> OpenAsync(string jobId, int index, StudioCaller caller, CancellationToken cancellationToken);
}

/// <summary>An opened job photo: its file name (no folder) and its bytes.</summary>
public sealed record JobPhotoFile(string FileName, Stream Content) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
