using System.IO.Compression;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>A job's export (<c>GET /api/jobs/{id}/export</c>) read back: each map file's bytes and the rows of results.csv.</summary>
public sealed record JobExport(IReadOnlyDictionary<string, byte[]> Maps, IReadOnlyList<string> ResultRows)
{
    public static async Task<JobExport> DownloadAsync(HttpClient client, string jobId)
    {
        byte[] zipBytes = await client.GetByteArrayAsync($"api/jobs/{jobId}/export");
        using var zip = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        var maps = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string csv = "";
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (entry.FullName.StartsWith("maps/", StringComparison.Ordinal))
                maps[entry.FullName] = copy.ToArray();
            else if (entry.FullName == "results.csv")
                csv = System.Text.Encoding.UTF8.GetString(copy.ToArray());
        }
        return new JobExport(maps, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(r => r.TrimEnd('\r')).ToList());
    }
}
