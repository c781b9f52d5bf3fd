using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Metrics;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A job's map scores (issue 10): one <c>metrics/&lt;photo&gt;.json</c> per explained photo in its results folder,
/// written before the photo's row (so a finished photo always has its scores), and the per-method summary over them.
/// The numbers are the engine's (<see cref="CamEngine.EvaluateAsync"/>); this only stores and groups them.
/// </summary>
public static class JobScoreFiles
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // NaN or ∞ never come from a finished metric, but a file must still round-trip whatever was computed.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The file of photo <paramref name="index"/>, relative to the results folder.</summary>
    public static string RelativePath(int index) => $"metrics/{index:D4}.json";

    public static void Write(string results, int index, IReadOnlyList<JobMapScore> scores)
    {
        Directory.CreateDirectory(Path.Combine(results, "metrics"));
        JobFiles.WriteAtomically(JobFiles.Inside(results, RelativePath(index)), JsonSerializer.SerializeToUtf8Bytes(scores, Json));
    }

    /// <summary>Photo <paramref name="index"/>'s scores; empty when it has none (no metrics asked, or not finished).</summary>
    public static IReadOnlyList<JobMapScore> Read(string results, int index)
    {
        string path = JobFiles.Inside(results, RelativePath(index));
        if (!File.Exists(path))
            return [];
        return JsonSerializer.Deserialize<JobMapScore[]>(File.ReadAllBytes(path), Json) ?? [];
    }

    /// <summary>Every explained photo's scores, by photo index.</summary>
    public static IReadOnlyDictionary<int, IReadOnlyList<JobMapScore>> ReadAll(string results, IEnumerable<JobPhoto> photos) =>
        photos.Where(p => p.State == PhotoState.Done).ToDictionary(p => p.Index, p => Read(results, p.Index));

    /// <summary>Per method (and layer; baselines too): the mean and standard deviation of each metric over every photo and class.</summary>
    public static IReadOnlyList<MethodSummary> Summary(IEnumerable<IReadOnlyList<JobMapScore>> scores) =>
        MetricSummary.Of(scores.SelectMany(s => s).Select(s => (s.Method, s.Layer, s.Scores)));
}
