using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using CamStudio.Engine.Maps;

namespace CamStudio.Cli;

/// <summary>What <c>camstudio explain</c> was asked to do.</summary>
internal sealed record ExplainSettings(
    IReadOnlyList<string> Images,
    string? Model,
    string? Weights,
    string Methods,
    string Classes,
    string? Layer,
    string Colormap,
    float Alpha,
    string Out,
    string? ModelsDir,
    int BatchSize,
    bool SharedScale = false,
    IReadOnlyList<string>? Options = null);

/// <summary>
/// <c>camstudio explain</c>, through <see cref="CamEngine"/>: for each photo, class and method writes
/// <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.png</c> (overlay at the photo's size, drawn only on the region the model
/// saw), <c>.npy</c> (float32 map at the model's input size, normalised to [0, 1]) and <c>.raw.npy</c> (the raw map
/// at the layer's size), both by <see cref="MapFiles"/>, plus one <c>predictions.json</c>. Photos run in batches.
/// </summary>
internal static class ExplainCommand
{
    public const string PredictionsFileName = "predictions.json";

    public static int Run(ExplainSettings settings, CliContext context) =>
        RunAsync(settings, context, CancellationToken.None).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(ExplainSettings settings, CliContext context, CancellationToken cancellationToken)
    {
        // Everything that can be checked without the model is checked first, so bad input writes nothing.
        string? unknownOption = settings.Images.FirstOrDefault(p => p.StartsWith('-') && !File.Exists(p));
        if (unknownOption is not null)
            throw new CliException($"Unknown option '{unknownOption}' for explain. See 'camstudio explain --help'.");
        if (!(settings.Alpha >= 0f && settings.Alpha <= 1f))
            throw new CliException($"--alpha must be a number from 0 to 1, not {settings.Alpha}.");
        if (!Colormap.TryParse(settings.Colormap, out Colormap? colormap))
            throw new CliException($"Unknown colormap '{settings.Colormap}'; choose one of {string.Join(", ", Colormap.All.Select(c => c.Name))}.");
        if (settings.BatchSize < 1)
            throw new CliException($"--batch-size must be at least 1, not {settings.BatchSize}.");
        string[] methods = settings.Methods.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (methods.Length == 0)
            throw new CliException($"--method is empty; choose from {string.Join(", ", CamMethods.Ids)}.");
        string outDir = Path.GetFullPath(settings.Out);
        if (File.Exists(outDir))
            throw new CliException($"--out '{settings.Out}' is a file; give a folder (it is created if missing).");
        var duplicateStem = settings.Images
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal)
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicateStem is not null)
            throw new CliException(
                $"Photos {string.Join(" and ", duplicateStem.Take(2).Select(p => $"'{p}'"))} would write the same output files ({duplicateStem.Key}.*); rename one.");

        using var cli = new CliEngine(context.Catalog(settings.ModelsDir));
        (string model, string? defaultLayer) = await cli.ModelAsync(settings.Model, settings.Weights, cancellationToken);
        // The engine checks model, layer, methods (applicable there) and classes once, before any photo is read.
        ExplainPlan plan = await cli.Engine.PlanAsync(new CamRequest
        {
            Model = model,
            Methods = methods,
            Classes = settings.Classes,
            Layer = settings.Layer ?? defaultLayer,
            Options = MethodOptionText.Parse(settings.Options ?? []),
            Owner = "cli",
        }, cancellationToken);
        var overlay = new OverlayOptions { Colormap = colormap, Alpha = settings.Alpha };

        try
        {
            Directory.CreateDirectory(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot create the output folder '{settings.Out}': {e.Message}", ExitCodes.Failure);
        }

        var results = new PhotoResult?[settings.Images.Count];
        int failures = 0, mapsWritten = 0;
        using var progress = context.ShowProgress && plan.IsLong ? new CliProgress(context.Error) : null;
        int batchSize = Math.Min(settings.BatchSize, CamEngine.MaxPhotosPerRequest);
        for (int start = 0; start < settings.Images.Count; start += batchSize)
        {
            int end = Math.Min(start + batchSize, settings.Images.Count);
            var decoded = new List<(int Index, DecodedPhoto Photo)>();
            try
            {
                for (int i = start; i < end; i++)
                {
                    string path = settings.Images[i];
                    try
                    {
                        decoded.Add((i, PhotoDecoder.Default.Decode(path)));
                    }
                    catch (PhotoDecodeException e)
                    {
                        string message = $"{path}: {e.Reason}";
                        progress?.Clear();
                        context.ReportError(message);
                        results[i] = new PhotoResult(path, null, null, [], message);
                        failures++;
                    }
                }
                if (decoded.Count == 0)
                    continue;

                EngineExplanation explained = await cli.Engine.ExplainAsync(plan, [.. decoded.Select(d => d.Photo.Image)], progress, cancellationToken);
                progress?.Clear();
                for (int j = 0; j < decoded.Count; j++)
                {
                    (int index, DecodedPhoto photo) = decoded[j];
                    string path = settings.Images[index];
                    PhotoResult result = WriteOutputs(path, photo, explained.Photos[j], overlay, outDir, settings.SharedScale);
                    results[index] = result;
                    mapsWritten += result.Files.Count;
                    Prediction best = explained.Photos[j].TopPredictions[0];
                    context.Out.WriteLine($"{path}: {best.ClassName} ({best.ClassIndex}) {best.Probability:P1}; {result.Files.Count} {(result.Files.Count == 1 ? "map" : "maps")}");
                }
            }
            finally
            {
                foreach (var (_, photo) in decoded)
                    photo.Dispose();
            }
        }

        WritePredictions(Path.Combine(outDir, PredictionsFileName), plan, results.OfType<PhotoResult>().ToList());
        int explainedCount = settings.Images.Count - failures;
        context.Out.WriteLine($"Wrote {mapsWritten} maps ({mapsWritten} PNG + {mapsWritten} NPY + {mapsWritten} raw NPY) for {explainedCount} of {settings.Images.Count} photos and {PredictionsFileName} to {outDir}." +
            (failures > 0 ? $" {failures} could not be read." : ""));
        // Each unreadable photo already has its own line on stderr; the exit code says the run was incomplete.
        return failures > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }

    private static PhotoResult WriteOutputs(string path, DecodedPhoto photo, PhotoMaps explanation, OverlayOptions overlay, string outDir, bool sharedScale)
    {
        string stem = Path.GetFileNameWithoutExtension(path);
        var files = new List<WrittenMap>();
        // --shared-scale: every map of this photo (all classes and methods) on one range, so their colours compare:
        // the overlays on the raw maps' common range, the .npy maps on the common range of the resized maps.
        ValueRange? npyRange = null;
        if (sharedScale && explanation.Maps.Count > 0)
        {
            overlay = overlay with { Range = ValueRange.Shared(explanation.Maps.Select(m => m.Map.Map)) };
            npyRange = ValueRange.Shared(explanation.Maps.Select(m => MapFiles.AtInput(m.Map)));
        }
        foreach (PlacedClassMap map in explanation.Maps)
        {
            string png = $"{stem}.{map.Method}.{map.ClassIndex}.png";
            string npy, raw;
            try
            {
                using (Image<Rgb24> image = HeatmapRenderer.Overlay(photo.Image, map.Map, overlay))
                    File.WriteAllBytes(Path.Combine(outDir, png), HeatmapRenderer.EncodePng(image));
                (npy, raw) = MapFiles.Write(outDir, stem, map.Method, map.ClassIndex, map.Map, npyRange);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"Cannot write {Path.Combine(outDir, png)}: {e.Message}", ExitCodes.Failure);
            }
            files.Add(new WrittenMap(png, npy, raw, map.Method, map.ClassIndex, map.ClassName, map.Layer));
        }
        return new PhotoResult(path, photo.Width, photo.Height, explanation.TopPredictions, null) { Files = files };
    }

    private static void WritePredictions(string path, ExplainPlan plan, IReadOnlyList<PhotoResult> photos)
    {
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("model", plan.ModelName);
            writer.WriteString("layer", plan.Layer.Name);
            writer.WriteNumber("inputWidth", plan.Preprocessing.InputWidth);
            writer.WriteNumber("inputHeight", plan.Preprocessing.InputHeight);
            writer.WriteStartArray("photos");
            foreach (PhotoResult photo in photos)
            {
                writer.WriteStartObject();
                writer.WriteString("photo", photo.Path);
                if (photo.Error is not null)
                {
                    writer.WriteString("error", photo.Error);
                    writer.WriteEndObject();
                    continue;
                }
                writer.WriteNumber("width", photo.Width!.Value);
                writer.WriteNumber("height", photo.Height!.Value);
                writer.WriteStartArray("top5");
                foreach (Prediction p in photo.Top)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("classIndex", p.ClassIndex);
                    writer.WriteString("className", p.ClassName);
                    writer.WriteNumber("probability", p.Probability);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteStartArray("files");
                foreach (WrittenMap file in photo.Files)
                {
                    writer.WriteStartObject();
                    writer.WriteString("png", file.Png);
                    writer.WriteString("npy", file.Npy);
                    writer.WriteString("rawNpy", file.RawNpy);
                    writer.WriteString("method", file.Method);
                    writer.WriteNumber("classIndex", file.ClassIndex);
                    writer.WriteString("className", file.ClassName);
                    writer.WriteString("layer", file.Layer);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        File.Move(temporary, path, overwrite: true);
    }

    private sealed record WrittenMap(string Png, string Npy, string RawNpy, string Method, int ClassIndex, string ClassName, string Layer);

    private sealed record PhotoResult(string Path, int? Width, int? Height, IReadOnlyList<Prediction> Top, string? Error)
    {
        public IReadOnlyList<WrittenMap> Files { get; init; } = [];
    }
}
