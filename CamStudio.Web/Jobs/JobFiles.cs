namespace CamStudio.Web.Jobs;

/// <summary>
/// Where a job's files live: <c>&lt;data&gt;/jobs/&lt;id&gt;/input/…</c> and <c>…/results/…</c>. Every file is written
/// under a temporary name, flushed, then renamed, so a file with its final name is always complete.
/// </summary>
public sealed class JobFiles(string dataDirectory)
{
    private const string TempSuffix = ".partial";

    public string JobsDirectory { get; } = Path.Combine(dataDirectory, "jobs");

    public string JobDirectory(string jobId)
    {
        if (!IsValidId(jobId))
            throw new ArgumentException($"'{jobId}' is not a job id.", nameof(jobId));
        return Path.Combine(JobsDirectory, jobId);
    }

    public string InputDirectory(string jobId) => Path.Combine(JobDirectory(jobId), "input");

    public string ResultsDirectory(string jobId) => Path.Combine(JobDirectory(jobId), "results");

    /// <summary>Job ids are 16 lowercase hex digits: never a path.</summary>
    public static bool IsValidId(string id) => id.Length == 16 && id.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    public static string NewId() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <summary>The full path of <paramref name="relative"/> inside <paramref name="root"/>; throws if it would leave it.</summary>
    public static string Inside(string root, string relative)
    {
        string full = Path.GetFullPath(Path.Combine(root, relative));
        string rootFull = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootFull, StringComparison.Ordinal))
            throw new InvalidOperationException($"'{relative}' is outside {root}.");
        return full;
    }

    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        string temp = path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    public static async Task WriteAtomicallyAsync(string path, Func<Stream, Task> write)
    {
        string temp = path + TempSuffix;
        try
        {
            await using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }

    /// <summary>Removes half-written files a killed process left behind (their photos are still pending).</summary>
    public static int RemovePartialFiles(string directory)
    {
        if (!Directory.Exists(directory))
            return 0;
        int removed = 0;
        foreach (string file in Directory.EnumerateFiles(directory, "*" + TempSuffix, SearchOption.AllDirectories))
        {
            File.Delete(file);
            removed++;
        }
        return removed;
    }
}
