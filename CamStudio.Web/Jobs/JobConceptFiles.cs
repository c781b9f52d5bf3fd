using System.Text.Json;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A job's concept pictures (Deep Feature Factorization): <c>concepts/&lt;stem&gt;.concepts.png</c> per explained photo
/// (the CLI's <c>concepts</c> name) and <c>concepts/&lt;photo&gt;.json</c> beside it naming the picture, its layer and
/// legend, written before the photo's row as the metrics are (<see cref="JobScoreFiles"/>), so no store column is needed.
/// </summary>
public static class JobConceptFiles
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The index file of photo <paramref name="index"/>, relative to the results folder.</summary>
    public static string RelativePath(int index) => $"concepts/{index:D4}.json";

    /// <summary>Writes <paramref name="picture"/> for photo <paramref name="index"/> (file stem <paramref name="stem"/>); returns what was written.</summary>
    public static JobConcepts Write(string results, int index, string stem, JobConceptsPng picture)
    {
        Directory.CreateDirectory(Path.Combine(results, "concepts"));
        var written = new JobConcepts($"concepts/{stem}.concepts.png", picture.Layer, picture.Legend);
        JobFiles.WriteAtomically(JobFiles.Inside(results, written.File), picture.Png);
        JobFiles.WriteAtomically(JobFiles.Inside(results, RelativePath(index)), JsonSerializer.SerializeToUtf8Bytes(written, Json));
        return written;
    }

    /// <summary>Photo <paramref name="index"/>'s concepts; null when it has none (not asked, or not finished).</summary>
    public static JobConcepts? Read(string results, int index)
    {
        string path = JobFiles.Inside(results, RelativePath(index));
        return File.Exists(path) ? JsonSerializer.Deserialize<JobConcepts>(File.ReadAllBytes(path), Json) : null;
    }

    /// <summary>Every explained photo's concepts, by photo index (photos without are left out).</summary>
    public static IReadOnlyDictionary<int, JobConcepts> ReadAll(string results, IEnumerable<JobPhoto> photos) =>
        photos.Where(p => p.State == PhotoState.Done).Select(p => (p.Index, Concepts: Read(results, p.Index)))
            .Where(p => p.Concepts is not null).ToDictionary(p => p.Index, p => p.Concepts!);
}

/// <summary>One photo's concept picture as stored: the file (relative to the results folder), the layer, the legend lines.</summary>
public sealed record JobConcepts(string File, string Layer, IReadOnlyList<string> Legend);
