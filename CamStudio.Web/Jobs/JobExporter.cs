using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A job's results as one ZIP: <c>overlays/*.png</c>, <c>maps/*.npy</c> (the one .npy contract of
/// <see cref="CamStudio.Engine.Imaging.MapFiles"/>: <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.npy</c> normalised at the
/// model input's size, <c>.raw.npy</c> raw at the layer's), <c>results.csv</c> (one row per photo × class × method;
/// failed photos get one row with their error) and <c>manifest.json</c>, both naming every file.
/// </summary>
public sealed class JobExporter(JobStore store, JobFiles files)
{
    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string AppVersion => Version(typeof(JobExporter).Assembly);

    public static string EngineVersion => Version(typeof(CamStudio.Engine.Maps.CamMap).Assembly);

    private static string Version(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Writes the export of <paramref name="job"/> to <paramref name="output"/> (any writable stream).</summary>
    public void Write(JobInfo job, Stream output)
    {
        var photos = store.ListPhotos(job.Id);
        string results = files.ResultsDirectory(job.Id);
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8);
        foreach (JobPhoto photo in photos.Where(p => p.State == PhotoState.Done))
        {
            foreach (JobMapFile map in photo.Maps)
            {
                zip.CreateEntryFromFile(JobFiles.Inside(results, map.OverlayFile), map.OverlayFile, CompressionLevel.NoCompression);
                zip.CreateEntryFromFile(JobFiles.Inside(results, map.NpyFile), map.NpyFile, CompressionLevel.Fastest);
                if (map.RawNpyFile is not null)
                    zip.CreateEntryFromFile(JobFiles.Inside(results, map.RawNpyFile), map.RawNpyFile, CompressionLevel.Fastest);
            }
        }
        var csv = zip.CreateEntry("results.csv", CompressionLevel.Fastest);
        using (var writer = new StreamWriter(csv.Open(), new UTF8Encoding(false)))
            writer.Write(ResultsCsv(photos));
        var manifest = zip.CreateEntry("manifest.json", CompressionLevel.Fastest);
        using (var stream = manifest.Open())
            JsonSerializer.Serialize(stream, Manifest(job, photos), ManifestJson);
    }

    public static object Manifest(JobInfo job, IReadOnlyList<JobPhoto> photos) => new
    {
        jobId = job.Id,
        state = job.State.ToText(),
        model = new { name = job.ModelName ?? job.Settings.Model, sha256 = job.ModelSha256, requested = job.Settings.Model },
        methods = job.Settings.Methods,
        options = job.Settings.Options,
        layer = photos.SelectMany(p => p.Maps).Select(m => m.Layer).FirstOrDefault() ?? job.Settings.Layer,
        layerRequested = job.Settings.Layer,
        classes = job.Settings.Classes,
        appVersion = AppVersion,
        engineVersion = EngineVersion,
        createdUtc = job.CreatedUtc,
        startedUtc = job.StartedUtc,
        finishedUtc = job.FinishedUtc,
        photos = job.Total,
        explained = job.Done,
        failed = job.Failed,
        skippedEntries = job.Skipped,
        npy = new { normalised = "<stem>.<method>.<class>.npy: float32, model input size, normalised to [0, 1]", raw = "<stem>.<method>.<class>.raw.npy: float32, layer size, the method's raw values" },
        maps = photos.Where(p => p.State == PhotoState.Done).SelectMany(p => p.Maps.Select(m => new
        {
            file = p.FileName,
            method = m.Method,
            classIndex = m.ClassIndex,
            className = m.ClassName,
            layer = m.Layer,
            npy = m.NpyFile,
            rawNpy = m.RawNpyFile,
            overlay = m.OverlayFile,
        })),
    };

    /// <summary>RFC 4180 CSV: a header, then one row per photo × class × method.</summary>
    public static string ResultsCsv(IReadOnlyList<JobPhoto> photos)
    {
        var csv = new StringBuilder();
        AppendRow(csv, "file", "status", "class_index", "class_name", "probability", "method", "layer", "map_file", "raw_map_file", "overlay_file", "error");
        foreach (JobPhoto photo in photos)
        {
            if (photo.State != PhotoState.Done)
            {
                AppendRow(csv, photo.FileName, photo.State.ToString().ToLowerInvariant(), "", "", "", "", "", "", "", "", photo.Error ?? "");
                continue;
            }
            foreach (JobMapFile map in photo.Maps)
            {
                AppendRow(csv, photo.FileName, "done", map.ClassIndex.ToString(CultureInfo.InvariantCulture), map.ClassName,
                    float.IsNaN(map.Probability) ? "" : map.Probability.ToString("R", CultureInfo.InvariantCulture),
                    map.Method, map.Layer, map.NpyFile, map.RawNpyFile ?? "", map.OverlayFile, "");
            }
        }
        return csv.ToString();
    }

    private static void AppendRow(StringBuilder csv, params string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            if (i > 0)
                csv.Append(',');
            csv.Append(Quote(fields[i]));
        }
        csv.Append("\r\n");
    }

    /// <summary>
    /// Quotes a field when it holds a comma, quote, line break or edge spaces; inner quotes are doubled. A field that a
    /// spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return) gets a leading
    /// apostrophe first (OWASP "CSV injection"): a photo named <c>=HYPERLINK(…).jpg</c> stays text.
    /// </summary>
    internal static string Quote(string field)
    {
        if (field.Length > 0 && field[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            field = "'" + field;
        bool needsQuotes = field.IndexOfAny([',', '"', '\r', '\n']) >= 0 || (field.Length > 0 && (field[0] == ' ' || field[^1] == ' '));
        return needsQuotes ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
    }
}
