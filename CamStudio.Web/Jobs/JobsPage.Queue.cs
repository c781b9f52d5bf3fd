using Microsoft.AspNetCore.Components;

namespace CamStudio.Web.Jobs;

/// <summary>What the queue says about each job beyond its progress: a name people recognise and the disk it takes.</summary>
public sealed partial class JobsPage
{
    private readonly Dictionary<string, JobQueueSummary> _summaries = [];

    [Inject] private JobFiles Files { get; set; } = default!;

    /// <summary>Recomputes the summaries of the jobs on this page (their photos' names, the bytes of their folders).</summary>
    private void Summarise()
    {
        _summaries.Clear();
        foreach (JobInfo job in _jobs)
            _summaries[job.Id] = JobQueueSummary.Of(job, Store.ListPhotos(job.Id), Files);
    }
}

/// <summary>A job as the queue names it.</summary>
/// <param name="Name">Its photos' names ("cat.jpg, dog.jpg +8"), or the job id when it has none.</param>
/// <param name="DiskBytes">Bytes its folder takes (inputs, maps, overlays), or null when it cannot be read.</param>
public sealed record JobQueueSummary(string Name, long? DiskBytes)
{
    private const int NamesShown = 2;

    public static JobQueueSummary Of(JobInfo job, IReadOnlyList<JobPhoto> photos, JobFiles files)
    {
        string name = photos.Count == 0
            ? job.Id
            : string.Join(", ", photos.Take(NamesShown).Select(p => p.FileName)) + (photos.Count > NamesShown ? $" +{photos.Count - NamesShown}" : "");
        return new JobQueueSummary(name, FolderBytes(files.JobDirectory(job.Id)));
    }

    private static long? FolderBytes(string directory)
    {
        try
        {
            return Directory.Exists(directory)
                ? new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length)
                : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // a folder being deleted or unreadable: the queue says "?" rather than failing
        }
    }

    /// <summary>Bytes in the units they say (KiB, MiB, GiB).</summary>
    public string DiskText => DiskBytes is long bytes ? JobDisk.Size(bytes) : "?";
}
