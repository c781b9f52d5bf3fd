namespace CamStudio.Web.Jobs;

/// <summary>Settings of batch jobs (section <c>CamStudio:Jobs</c>); the data folder is <c>CamStudio:DataDirectory</c>.</summary>
public sealed class JobOptions
{
    public const string Section = "CamStudio:Jobs";

    /// <summary>Folder holding <c>jobs.db</c> and <c>jobs/&lt;id&gt;/…</c>. Env <c>CAMSTUDIO_DATA</c> overrides the setting.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Photos per forward pass (one batch = one work item on the shared torch executor).</summary>
    public int BatchSize { get; set; } = 4;

    /// <summary>Most photos one job may hold.</summary>
    public int MaxPhotos { get; set; } = 1000;

    /// <summary>Largest single photo (bytes), uploaded or extracted.</summary>
    public long MaxPhotoBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Largest total of photo bytes one job may store (counted on the actual bytes written, not headers).</summary>
    public long MaxExtractedBytes { get; set; } = 1L * 1024 * 1024 * 1024;

    /// <summary>
    /// Largest ratio of inflated to compressed bytes of one ZIP entry (photo formats barely compress; zero-filled
    /// "photos" inflate a thousandfold). Entries below <see cref="CompressionRatioFloorBytes"/> are not judged.
    /// </summary>
    public int MaxCompressionRatio { get; set; } = 100;

    /// <summary>Entries that inflate to fewer bytes than this are never refused for their compression ratio.</summary>
    public long CompressionRatioFloorBytes { get; set; } = 1024 * 1024;

    /// <summary>Free space the data folder's disk keeps: intake and result writes stop before they would go below it.</summary>
    public long DiskReserveBytes { get; set; } = 1L * 1024 * 1024 * 1024;

    /// <summary>Most bytes the jobs of one LAN session may store (input photos and results); 0 = no limit.</summary>
    public long SessionQuotaBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Most jobs one LAN session may keep (finished ones count until deleted); 0 = no limit.</summary>
    public int SessionMaxJobs { get; set; } = 20;

    /// <summary>Most bytes the host's own jobs may store; 0 = no limit (the default: it is the host's disk).</summary>
    public long HostQuotaBytes { get; set; }

    /// <summary>Most jobs the host may keep; 0 = no limit.</summary>
    public int HostMaxJobs { get; set; }

    /// <summary>Skipped entries stored with their reason (the rest are only counted).</summary>
    public int MaxSkippedReasons { get; set; } = 100;

    /// <summary>Largest request body accepted by <c>POST /api/jobs</c>.</summary>
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Most entries an archive may list (a guard against entry-count bombs).</summary>
    public int MaxArchiveEntries { get; set; } = 10_000;

    /// <summary>False on all web nodes of a cluster but the one that runs jobs (the others serve pages, the API and hubs).</summary>
    public bool RunJobs { get; set; } = true;

    /// <summary>Thumbnail edge in pixels: as large as a gallery card shows it (about 330 CSS pixels), so it stays sharp.</summary>
    public int ThumbnailSize { get; set; } = 384;

    /// <summary>
    /// The data folder: <c>CAMSTUDIO_DATA</c>, else <c>CamStudio:DataDirectory</c>, else <c>~/.local/share/camstudio</c>
    /// (the per-user folder that also holds the default models folder).
    /// </summary>
    public static string ResolveDataDirectory(IConfiguration configuration)
    {
        string? fromEnv = Environment.GetEnvironmentVariable("CAMSTUDIO_DATA");
        if (!string.IsNullOrWhiteSpace(fromEnv))
            return Path.GetFullPath(fromEnv);
        string? fromConfig = configuration["CamStudio:DataDirectory"];
        if (!string.IsNullOrWhiteSpace(fromConfig))
            return Path.GetFullPath(fromConfig);
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "camstudio");
    }
}
