using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Metrics;

namespace CamStudio.Cli;

/// <summary>What <c>camstudio evaluate</c> was asked to do.</summary>
internal sealed record EvaluateSettings(IReadOnlyList<string> Images, string? Model, string? Weights, string Methods, string Classes, string? Layer,
    string? Metrics, bool Baselines, string? Box, int Steps, string? Baseline, string Out, string? ModelsDir, string[]? Options = null);

/// <summary>What <c>camstudio recommend</c> was asked to do.</summary>
internal sealed record RecommendSettings(IReadOnlyList<string> Images, string? Model, string? Weights, string? Methods, string Classes,
    string[] Layers, int LastLayers, string Score, int Steps, string? Baseline, string Out, string? ModelsDir, string[]? Options = null);

/// <summary>
/// <c>camstudio evaluate</c> and <c>camstudio recommend</c>, through <see cref="CamEngine.EvaluateAsync"/> and
/// <see cref="CamEngine.RecommendAsync"/>: metrics.csv (<see cref="MetricsTable.Header"/>) and metrics.json with the
/// curves, or recommend.csv (<see cref="MetricsTable.RecommendHeader"/>) and recommend.json; and every scored map as
/// .npy beside them (<see cref="MapFiles"/> names; a recommendation's method part is <c>method@layer</c>).
/// </summary>
internal static class EvaluateCommand
{
    public const string MetricsCsv = "metrics.csv", MetricsJson = "metrics.json", RecommendCsv = "recommend.csv", RecommendJson = "recommend.json";

    public static int Run(EvaluateSettings settings, CliContext context) => RunAsync(settings, context).GetAwaiter().GetResult();

    public static int Run(RecommendSettings settings, CliContext context) => RunAsync(settings, context).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(EvaluateSettings settings, CliContext context)
    {
        string outDir = CheckCommon(settings.Images, settings.Out, "evaluate");
        string[] methods = Split(settings.Methods);
        if (methods.Length == 0)
            throw new CliException("--method is empty; name at least one method.");
        PhotoBox? box = settings.Box is null ? null : PhotoBox.Parse(settings.Box);
        using var cli = new CliEngine(context.Catalog(settings.ModelsDir));
        (string model, string? defaultLayer) = await cli.ModelAsync(settings.Model, settings.Weights, CancellationToken.None);
        var request = new EvaluateRequest
        {
            Request = new CamRequest
            {
                Model = model, Methods = methods, Classes = settings.Classes, Layer = settings.Layer ?? defaultLayer, Owner = "cli",
                Options = MethodOptionText.Parse(settings.Options ?? []),
            },
            Metrics = settings.Metrics is null ? null : Split(settings.Metrics),
            Baselines = settings.Baselines,
            Box = box,
            Steps = settings.Steps,
            Baseline = settings.Baseline,
        };
        using Photos photos = Photos.Decode(settings.Images);
        using var progress = context.ShowProgress ? new CliProgress(context.Error) : null;
        EngineEvaluation result = await cli.Engine.EvaluateAsync(request, photos.Images, progress);
        progress?.Clear();
        CreateFolder(outDir, settings.Out);
        var lines = new List<string> { MetricsTable.CsvLine(MetricsTable.Header) };
        for (int i = 0; i < result.Photos.Count; i++)
        {
            string stem = Path.GetFileNameWithoutExtension(settings.Images[i]);
            foreach (EvaluatedMap map in result.Photos[i].Maps)
            {
                lines.Add(MetricsTable.CsvLine(MetricsTable.Row(settings.Images[i], map)));
                MapFiles.Write(outDir, stem, map.Method, map.ClassIndex, map.Map);
            }
        }
        File.WriteAllLines(Path.Combine(outDir, MetricsCsv), lines);
        WriteJson(Path.Combine(outDir, MetricsJson), writer =>
        {
            writer.WriteString("model", result.ModelName);
            writer.WriteString("layer", result.Layer);
            writer.WriteStartArray("metrics");
            foreach (string metric in result.Metrics)
                writer.WriteStringValue(metric);
            writer.WriteEndArray();
            WritePhotos(writer, settings.Images, result.Photos);
            WriteSummary(writer, result.Summary);
        });
        foreach (MethodSummary row in result.Summary)
            context.Out.WriteLine($"{row.Method}: deletion {row.DeletionAuc?.ToString() ?? "–"}, insertion {row.InsertionAuc?.ToString() ?? "–"}, drop {row.AverageDrop?.ToString() ?? "–"}");
        context.Out.WriteLine($"Wrote {MetricsCsv} and {MetricsJson} ({lines.Count - 1} maps) to {outDir}.");
        return ExitCodes.Success;
    }

    private static async Task<int> RunAsync(RecommendSettings settings, CliContext context)
    {
        string outDir = CheckCommon(settings.Images, settings.Out, "recommend");
        RecommendScore score = settings.Score.Trim().ToLowerInvariant() switch
        {
            "insertion-deletion" or "insertion_minus_deletion" or "default" => RecommendScore.InsertionMinusDeletion,
            "road" or "road-combined" => RecommendScore.RoadCombined,
            _ => throw new CliException($"Unknown --score '{settings.Score}'; choose insertion-deletion or road."),
        };
        using var cli = new CliEngine(context.Catalog(settings.ModelsDir));
        (string model, _) = await cli.ModelAsync(settings.Model, settings.Weights, CancellationToken.None);
        var request = new RecommendRequest
        {
            Request = new CamRequest
            {
                Model = model, Methods = settings.Methods is null ? [] : Split(settings.Methods), Classes = settings.Classes, Owner = "cli",
                Options = MethodOptionText.Parse(settings.Options ?? []),
            },
            Layers = settings.Layers,
            LastLayers = settings.LastLayers,
            Score = score,
            Steps = settings.Steps,
            Baseline = settings.Baseline,
        };
        using Photos photos = Photos.Decode(settings.Images);
        using var progress = context.ShowProgress ? new CliProgress(context.Error) : null;
        EngineRecommendation result = await cli.Engine.RecommendAsync(request, photos.Images, progress);
        progress?.Clear();
        CreateFolder(outDir, settings.Out);
        File.WriteAllLines(Path.Combine(outDir, RecommendCsv),
            [MetricsTable.CsvLine(MetricsTable.RecommendHeader), .. result.Ranked.Select(r => MetricsTable.CsvLine(MetricsTable.Row(r)))]);
        for (int i = 0; i < result.Photos.Count; i++)
        {
            string stem = Path.GetFileNameWithoutExtension(settings.Images[i]);
            foreach (EvaluatedMap map in result.Photos[i].Maps)
                MapFiles.Write(outDir, stem, MapName(map), map.ClassIndex, map.Map);
        }
        WriteJson(Path.Combine(outDir, RecommendJson), writer =>
        {
            writer.WriteString("model", result.ModelName);
            writer.WriteString("score", score == RecommendScore.RoadCombined ? "road_combined" : "insertion_auc - deletion_auc");
            writer.WriteStartArray("layers");
            foreach (string layer in result.Layers)
                writer.WriteStringValue(layer);
            writer.WriteEndArray();
            writer.WriteStartArray("ranked");
            foreach (Recommendation r in result.Ranked)
            {
                writer.WriteStartObject();
                writer.WriteNumber("rank", r.Rank);
                writer.WriteString("method", r.Method);
                writer.WriteString("layer", r.Layer);
                writer.WriteNumber("score", Finite(r.Score));
                writer.WriteNumber("deletionAuc", Finite(r.DeletionAuc));
                writer.WriteNumber("insertionAuc", Finite(r.InsertionAuc));
                writer.WriteBoolean("isBaseline", r.IsBaseline);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        });
        if (result.Best is { } best)
            context.Out.WriteLine($"Best: {best.Method} at {best.Layer} (score {best.Score:0.####}).");
        context.Out.WriteLine($"Wrote {RecommendCsv} ({result.Ranked.Count} rows) to {outDir}.");
        return ExitCodes.Success;
    }

    /// <summary>A recommendation map's method part: "gradcam@features.18" (file-name-safe), a baseline's own name.</summary>
    public static string MapName(EvaluatedMap map) => map.IsBaseline ? map.Method
        : $"{map.Method}@{new string(map.Layer.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray())}";

    private static string CheckCommon(IReadOnlyList<string> images, string output, string command)
    {
        string? unknownOption = images.FirstOrDefault(p => p.StartsWith('-') && !File.Exists(p));
        if (unknownOption is not null)
            throw new CliException($"Unknown option '{unknownOption}' for {command}. See 'camstudio {command} --help'.");
        string outDir = Path.GetFullPath(output);
        if (File.Exists(outDir))
            throw new CliException($"--out '{output}' is a file; give a folder (it is created if missing).");
        var duplicateStem = images.GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicateStem is not null)
            throw new CliException($"Photos {string.Join(" and ", duplicateStem.Take(2).Select(p => $"'{p}'"))} would write the same output files ({duplicateStem.Key}.*); rename one.");
        if (images.Count > CamEngine.MaxPhotosPerRequest)
            throw new CliException($"{images.Count} photos; {command} takes at most {CamEngine.MaxPhotosPerRequest} at a time.");
        return outDir;
    }

    private static void CreateFolder(string outDir, string given)
    {
        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot create the output folder '{given}': {e.Message}", ExitCodes.Failure);
        }
    }

    private static string[] Split(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static void WriteJson(string path, Action<Utf8JsonWriter> body)
    {
        string temporary = path + ".tmp";
        using (FileStream stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static void WritePhotos(Utf8JsonWriter writer, IReadOnlyList<string> paths, IReadOnlyList<PhotoEvaluation> photos)
    {
        writer.WriteStartArray("photos");
        for (int i = 0; i < photos.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("photo", paths[i]);
            writer.WriteStartArray("maps");
            foreach (EvaluatedMap map in photos[i].Maps)
            {
                writer.WriteStartObject();
                writer.WriteString("method", map.Method);
                writer.WriteNumber("classIndex", map.ClassIndex);
                writer.WriteString("className", map.ClassName);
                writer.WriteString("layer", map.Layer);
                writer.WriteBoolean("isBaseline", map.IsBaseline);
                writer.WriteNumber("probability", map.Probability);
                IReadOnlyList<string> cells = MetricsTable.MetricCells(map);
                for (int c = 0; c < cells.Count; c++)
                {
                    if (cells[c].Length > 0)
                        writer.WriteNumber(MetricsTable.MetricColumns[c], double.Parse(cells[c], System.Globalization.CultureInfo.InvariantCulture));
                }
                MapScores s = map.Scores;
                Curve(writer, "fractions", s.Fractions);
                Curve(writer, "deletionCurve", s.DeletionCurve);
                Curve(writer, "insertionCurve", s.InsertionCurve);
                if (s.Sanity is { } sanity)
                {
                    writer.WriteStartObject("sanity");
                    writer.WriteBoolean("passes", sanity.Passes);
                    writer.WriteNumber("threshold", SanityCheck.PassThreshold);
                    writer.WriteNumber("weightGroups", sanity.WeightGroups);
                    writer.WriteNumber("randomClass", sanity.RandomClass);
                    writer.WriteNumber("randomClassSpearman", Finite(sanity.RandomClassSpearman));
                    writer.WriteNumber("randomClassSsim", Finite(sanity.RandomClassSsim));
                    writer.WriteStartArray("stages");
                    foreach (SanityStage stage in sanity.Stages)
                    {
                        writer.WriteStartObject();
                        writer.WriteNumber("randomisedGroups", stage.RandomisedGroups);
                        writer.WriteNumber("spearman", Finite(stage.Spearman));
                        writer.WriteNumber("ssim", Finite(stage.Ssim));
                        writer.WriteEndObject();
                    }
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void Curve(Utf8JsonWriter writer, string name, IReadOnlyList<double>? values)
    {
        if (values is null)
            return;
        writer.WriteStartArray(name);
        foreach (double v in values)
            writer.WriteNumberValue(Finite(v));
        writer.WriteEndArray();
    }

    private static void WriteSummary(Utf8JsonWriter writer, IReadOnlyList<MethodSummary> summary)
    {
        writer.WriteStartArray("summary");
        foreach (MethodSummary row in summary)
        {
            writer.WriteStartObject();
            writer.WriteString("method", row.Method);
            writer.WriteString("layer", row.Layer);
            writer.WriteNumber("maps", row.Maps);
            void Stat(string name, MetricStatistic? s)
            {
                if (s is null)
                    return;
                writer.WriteStartObject(name);
                writer.WriteNumber("mean", Finite(s.Mean));
                writer.WriteNumber("sd", Finite(s.StandardDeviation));
                writer.WriteEndObject();
            }
            Stat("deletion_auc", row.DeletionAuc);
            Stat("insertion_auc", row.InsertionAuc);
            Stat("avg_drop", row.AverageDrop);
            Stat("increase", row.Increase);
            Stat("road_morf", row.RoadMorf);
            Stat("road_lerf", row.RoadLerf);
            Stat("road_combined", row.RoadCombined);
            Stat("pointing_hit", row.PointingHit);
            Stat("energy_pointing", row.EnergyPointing);
            Stat("sanity_spearman", row.SanitySpearman);
            Stat("sanity_ssim", row.SanitySsim);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    /// <summary>The decoded photos of one run; any that will not decode is an error naming it.</summary>
    private sealed class Photos : IDisposable
    {
        private readonly List<DecodedPhoto> _decoded = [];

        public IReadOnlyList<SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>> Images => _decoded.Select(d => d.Image).ToList();

        public static Photos Decode(IReadOnlyList<string> paths)
        {
            var photos = new Photos();
            try
            {
                foreach (string path in paths)
                {
                    try
                    {
                        photos._decoded.Add(PhotoDecoder.Default.Decode(path));
                    }
                    catch (PhotoDecodeException e)
                    {
                        throw new CliException($"{path}: {e.Reason}", ExitCodes.Failure);
                    }
                }
                return photos;
            }
            catch
            {
                photos.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (DecodedPhoto photo in _decoded)
                photo.Dispose();
        }
    }
}
