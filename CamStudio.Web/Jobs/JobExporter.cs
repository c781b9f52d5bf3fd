using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Metrics;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A job's results as one ZIP: <c>overlays/*.png</c>, <c>maps/*.npy</c> (the one .npy contract of
/// <see cref="CamStudio.Engine.Imaging.MapFiles"/>: <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.npy</c> normalised at the
/// model input's size, <c>.raw.npy</c> raw at the layer's), <c>results.csv</c> (one row per photo × class × method;
/// failed photos get one row with their error) and <c>manifest.json</c>, both naming every file.
/// </summary>
public sealed class JobExporter(IJobStore store, JobFiles files)
{
    // Relaxed escaping: "gradcam++" and accented file names stay readable (not "gradcam\u002B\u002B"); the manifest is
    // a file, never embedded in HTML, so the HTML-safe escapes buy nothing.
    private static readonly JsonSerializerOptions ManifestJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

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
                if (map.GuidedCamFile is not null)
                    zip.CreateEntryFromFile(JobFiles.Inside(results, map.GuidedCamFile), map.GuidedCamFile, CompressionLevel.NoCompression);
            }
            // One guided image per class, however many methods share it.
            foreach (string guided in photo.Maps.Select(m => m.GuidedFile).OfType<string>().Distinct(StringComparer.Ordinal))
                zip.CreateEntryFromFile(JobFiles.Inside(results, guided), guided, CompressionLevel.NoCompression);
        }
        IReadOnlyDictionary<int, JobConcepts>? concepts = job.Settings.Concepts is null ? null : JobConceptFiles.ReadAll(results, photos);
        foreach (JobConcepts picture in (concepts ?? new Dictionary<int, JobConcepts>()).Values)
            zip.CreateEntryFromFile(JobFiles.Inside(results, picture.File), picture.File, CompressionLevel.NoCompression);
        IReadOnlyDictionary<int, IReadOnlyList<JobMapScore>>? scores = job.Settings.Metrics is null ? null : JobScoreFiles.ReadAll(results, photos);
        IReadOnlyList<MethodSummary>? summary = scores is null ? null : JobScoreFiles.Summary(scores.Values);
        var csv = zip.CreateEntry("results.csv", CompressionLevel.Fastest);
        using (var writer = new StreamWriter(csv.Open(), new UTF8Encoding(false)))
            writer.Write(ResultsCsv(photos, scores, new JobCsvPictures(job.Settings.Guided, concepts)));
        if (summary is not null)
        {
            var summaryCsv = zip.CreateEntry("metrics-summary.csv", CompressionLevel.Fastest);
            using var writer = new StreamWriter(summaryCsv.Open(), new UTF8Encoding(false));
            writer.Write(SummaryCsv(summary));
        }
        var manifest = zip.CreateEntry("manifest.json", CompressionLevel.Fastest);
        using (var stream = manifest.Open())
            JsonSerializer.Serialize(stream, Manifest(job, photos, summary, concepts), ManifestJson);
    }

    public static object Manifest(JobInfo job, IReadOnlyList<JobPhoto> photos, IReadOnlyList<MethodSummary>? summary = null,
        IReadOnlyDictionary<int, JobConcepts>? concepts = null) => new
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
        metrics = job.Settings.Metrics is not { } metrics ? null : new
        {
            names = metrics.Names,
            steps = metrics.Steps,
            baselines = metrics.Baselines,
            baseline = metrics.Baseline ?? "zeros",
            perPhoto = "results.csv: one row per photo × class × method (and baseline), columns " + string.Join(",", MetricsTable.MetricColumns),
            summary = (summary ?? []).Select(row => new
            {
                method = row.Method,
                layer = row.Layer,
                maps = row.Maps,
                metrics = MetricsTable.Statistics(row).Where(c => c.Statistic is not null)
                    .ToDictionary(c => c.Column, c => new { mean = Finite(c.Statistic!.Mean), sd = Finite(c.Statistic.StandardDeviation), count = c.Statistic.Count }),
            }),
        },
        guided = job.Settings.Guided
            ? new { image = "guided/<stem>.guided.<class>.png: guided backpropagation, model input size", cam = "guided/<stem>.<method>.<class>.guided.png: Guided Grad-CAM (guided image × the map)" }
            : null,
        concepts = job.Settings.Concepts is not { } k ? null : new
        {
            count = k.Count,
            classesPerConcept = k.ClassesPerConcept,
            pictures = photos.Where(p => concepts?.ContainsKey(p.Index) == true).Select(p => new
            {
                file = p.FileName,
                picture = concepts![p.Index].File,
                layer = concepts[p.Index].Layer,
                legend = concepts[p.Index].Legend,
            }),
        },
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
            guided = m.GuidedFile,
            guidedCam = m.GuidedCamFile,
        })),
    };

    /// <summary>
    /// RFC 4180 CSV: a header, then one row per photo × class × method. With <paramref name="scores"/> (a job with
    /// metrics) the CLI's metrics.csv columns follow (<see cref="MetricsTable.MetricColumns"/>, empty where not
    /// computed), and each photo's baselines get rows of their own (method <c>baseline-…</c>, no files).
    /// </summary>
    public static string ResultsCsv(IReadOnlyList<JobPhoto> photos, IReadOnlyDictionary<int, IReadOnlyList<JobMapScore>>? scores = null,
        JobCsvPictures? pictures = null)
    {
        var csv = new StringBuilder();
        pictures ??= JobCsvPictures.None;
        string[] noScores = scores is null ? [] : [.. MetricsTable.MetricColumns.Select(_ => "")];
        AppendRow(csv, ["file", "status", "class_index", "class_name", "probability", "method", "layer", "map_file", "raw_map_file", "overlay_file", "error",
            .. pictures.Columns, .. scores is null ? [] : MetricsTable.MetricColumns]);
        foreach (JobPhoto photo in photos)
        {
            if (photo.State != PhotoState.Done)
            {
                AppendRow(csv, [photo.FileName, photo.State.ToString().ToLowerInvariant(), "", "", "", "", "", "", "", "", photo.Error ?? "",
                    .. pictures.Columns.Select(_ => ""), .. noScores]);
                continue;
            }
            IReadOnlyList<JobMapScore> photoScores = scores?.GetValueOrDefault(photo.Index) ?? [];
            foreach (JobMapFile map in photo.Maps)
            {
                JobMapScore? score = photoScores.FirstOrDefault(s => !s.IsBaseline && s.ClassIndex == map.ClassIndex
                    && string.Equals(s.Method, map.Method, StringComparison.OrdinalIgnoreCase));
                AppendRow(csv, [photo.FileName, "done", map.ClassIndex.ToString(CultureInfo.InvariantCulture), map.ClassName,
                    float.IsNaN(map.Probability) ? "" : map.Probability.ToString("R", CultureInfo.InvariantCulture),
                    map.Method, map.Layer, map.NpyFile, map.RawNpyFile ?? "", map.OverlayFile, "", .. pictures.Cells(photo, map),
                    .. scores is null ? [] : score is null ? noScores : MetricsTable.MetricCells(score.Scores)]);
            }
            foreach (JobMapScore baseline in photoScores.Where(s => s.IsBaseline))
            {
                AppendRow(csv, [photo.FileName, "done", baseline.ClassIndex.ToString(CultureInfo.InvariantCulture), baseline.ClassName,
                    MetricsTable.Cell(baseline.Probability), baseline.Method, "", "", "", "", "", .. pictures.Columns.Select(_ => ""),
                    .. MetricsTable.MetricCells(baseline.Scores)]);
            }
        }
        return csv.ToString();
    }

    /// <summary>metrics-summary.csv: per method and layer (baselines too), the maps scored and each metric's mean and sd.</summary>
    public static string SummaryCsv(IReadOnlyList<MethodSummary> summary)
    {
        var csv = new StringBuilder();
        AppendRow(csv, ["method", "layer", "maps", .. MetricsTable.MetricColumns.SelectMany(c => new[] { c + "_mean", c + "_sd" })]);
        foreach (MethodSummary row in summary)
        {
            AppendRow(csv, [row.Method, row.Layer, row.Maps.ToString(CultureInfo.InvariantCulture),
                .. MetricsTable.Statistics(row).SelectMany(c => new[] { MetricsTable.Cell(c.Statistic?.Mean), MetricsTable.Cell(c.Statistic?.StandardDeviation) })]);
        }
        return csv.ToString();
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static void AppendRow(StringBuilder csv, params IReadOnlyList<string> fields)
    {
        for (int i = 0; i < fields.Count; i++)
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
