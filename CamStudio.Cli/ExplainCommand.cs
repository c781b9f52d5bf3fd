using System.Text.Json;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

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
    bool SharedScale = false);

/// <summary>
/// <c>camstudio explain</c>: for each photo, class and method writes <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.png</c>
/// (overlay at the photo's size) and <c>.npy</c> (float32 map at the model's input size, normalised to [0, 1]), plus one
/// <c>predictions.json</c>. Photos run in batches, one forward pass per batch.
/// </summary>
internal static class ExplainCommand
{
    public const string PredictionsFileName = "predictions.json";

    public static int Run(ExplainSettings settings, CliContext context)
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
        IReadOnlyList<ICamMethod> methods = ParseMethods(settings.Methods);
        string outDir = Path.GetFullPath(settings.Out);
        if (File.Exists(outDir))
            throw new CliException($"--out '{settings.Out}' is a file; give a folder (it is created if missing).");
        var duplicateStem = settings.Images
            .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.Ordinal)
            .FirstOrDefault(g => g.Count() > 1);
        if (duplicateStem is not null)
            throw new CliException(
                $"Photos {string.Join(" and ", duplicateStem.Take(2).Select(p => $"'{p}'"))} would write the same output files ({duplicateStem.Key}.*); rename one.");

        ModelCatalog catalog = context.Catalog(settings.ModelsDir);
        string modelName = settings.Model ?? ModelCatalog.DefaultModelName;
        Device device = TorchRuntime.DefaultDevice;
        using ICamModel model = LoadModel(catalog, modelName, settings.Weights, device);

        string layer = ResolveLayer(model, settings.Layer ?? DefaultLayerOf(catalog, modelName, settings.Weights));
        foreach (ICamMethod method in methods)
        {
            if (MethodApplicability.WhyNot(method, model, layer) is { } reason)
                throw new CliException(reason);
        }
        ClassSelection classes = ParseClasses(settings.Classes, model);
        var request = new ExplainRequest(methods.Select(m => m.Id).ToArray(), classes, layer);
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
        for (int start = 0; start < settings.Images.Count; start += settings.BatchSize)
        {
            int end = Math.Min(start + settings.BatchSize, settings.Images.Count);
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
                        context.ReportError(message);
                        results[i] = new PhotoResult(path, null, null, [], message);
                        failures++;
                    }
                }
                if (decoded.Count == 0)
                    continue;

                IReadOnlyList<PhotoExplanation> explanations = ExplainBatch(model, decoded.Select(d => d.Photo.Image).ToList(), request);
                for (int j = 0; j < decoded.Count; j++)
                {
                    (int index, DecodedPhoto photo) = decoded[j];
                    string path = settings.Images[index];
                    PhotoResult result = WriteOutputs(path, photo, explanations[j], model, overlay, outDir, settings.SharedScale);
                    results[index] = result;
                    mapsWritten += result.Files.Count;
                    Prediction best = explanations[j].TopPredictions[0];
                    context.Out.WriteLine($"{path}: {best.ClassName} ({best.ClassIndex}) {best.Probability:P1}; {result.Files.Count} {(result.Files.Count == 1 ? "map" : "maps")}");
                }
            }
            finally
            {
                foreach (var (_, photo) in decoded)
                    photo.Dispose();
            }
        }

        WritePredictions(Path.Combine(outDir, PredictionsFileName), model, layer, results.OfType<PhotoResult>().ToList());
        int explained = settings.Images.Count - failures;
        context.Out.WriteLine($"Wrote {mapsWritten} maps ({mapsWritten} PNG + {mapsWritten} NPY) for {explained} of {settings.Images.Count} photos and {PredictionsFileName} to {outDir}." +
            (failures > 0 ? $" {failures} could not be read." : ""));
        // Each unreadable photo already has its own line on stderr; the exit code says the run was incomplete.
        return failures > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }

    /// <summary>The methods of a comma-separated list (duplicates dropped, order kept); unknown ids are an error listing the valid ones.</summary>
    /// <summary>The <c>--class</c> value for this model (syntax: <see cref="ClassSelectionParser"/>).</summary>
    private static ClassSelection ParseClasses(string text, ICamModel model)
    {
        try
        {
            return ClassSelectionParser.Parse(text, model.Labels, model.Name);
        }
        catch (ClassSelectionException ex)
        {
            throw new CliException(ex.Message);
        }
    }

    public static IReadOnlyList<ICamMethod> ParseMethods(string text)
    {
        string[] ids = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0)
            throw new CliException($"--method is empty; choose from {string.Join(", ", CamMethods.Ids)}.");
        var methods = new List<ICamMethod>();
        foreach (string id in ids)
        {
            ICamMethod method;
            try
            {
                method = CamMethods.Get(id);
            }
            catch (ArgumentException e)
            {
                throw new CliException(CamStudioCli.UserMessage(e));
            }
            if (!methods.Contains(method))
                methods.Add(method);
        }
        return methods;
    }

    public static ICamModel LoadModel(ModelCatalog catalog, string modelName, string? weights, Device device)
    {
        try
        {
            return catalog.Load(modelName, device, weights);
        }
        catch (ModelCatalogException e)
        {
            throw new CliException(e.Message, ExitCodes.Failure);
        }
    }

    /// <summary>The manifest's default layer when the model comes from the models folder; "auto" otherwise.</summary>
    public static string DefaultLayerOf(ModelCatalog catalog, string modelName, string? weights)
    {
        if (weights is not null || File.Exists(modelName))
            return LayerNames.Auto;
        CatalogEntry? entry = Directory.Exists(modelName) ? ModelCatalog.Inspect(Path.GetFullPath(modelName)) : catalog.Find(modelName);
        return entry?.Manifest?.DefaultLayer ?? LayerNames.Auto;
    }

    public static string ResolveLayer(ICamModel model, string layer)
    {
        string resolved;
        try
        {
            resolved = LayerNames.Resolve(model, layer);
        }
        catch (ArgumentException e)
        {
            throw new CliException(CamStudioCli.UserMessage(e));
        }
        catch (InvalidOperationException e)
        {
            throw new CliException(e.Message);
        }
        LayerInfo info = model.Layers.First(l => l.Name == resolved);
        if (info.Shape.Length != 4)
            throw new CliException(
                $"Layer '{resolved}' of model '{model.Name}' outputs {info.ShapeText}; class activation maps need an N×C×H×W layer (see 'camstudio layers').");
        return resolved;
    }

    private static IReadOnlyList<PhotoExplanation> ExplainBatch(ICamModel model, IReadOnlyList<Image<Rgb24>> photos, ExplainRequest request)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor batch = PhotoPreprocessor.ToBatch(photos, model.Preprocessing, model.Device);
        return CamExplainer.Explain(model, batch, request);
    }

    private static PhotoResult WriteOutputs(
        string path, DecodedPhoto photo, PhotoExplanation explanation, ICamModel model, OverlayOptions overlay, string outDir, bool sharedScale)
    {
        string stem = Path.GetFileNameWithoutExtension(path);
        var files = new List<WrittenMap>();
        // --shared-scale: every map of this photo (all classes and methods) on one range, so their colours compare:
        // the overlays on the raw maps' common range, the .npy maps on the common range of the resized maps.
        var placed = explanation.Maps.Select(m => PhotoPreprocessor.Place(m.Map, photo.Width, photo.Height, model.Preprocessing)).ToArray();
        ValueRange? npyRange = null;
        if (sharedScale && explanation.Maps.Count > 0)
        {
            overlay = overlay with { Range = ValueRange.Shared(explanation.Maps.Select(m => m.Map)) };
            npyRange = ValueRange.Shared(placed.Select(MapFiles.AtInput));
        }
        for (int m = 0; m < explanation.Maps.Count; m++)
        {
            ClassMap map = explanation.Maps[m];
            string baseName = $"{stem}.{map.Method}.{map.ClassIndex}";
            string png = baseName + ".png";
            string npy = MapFiles.NormalisedName(stem, map.Method, map.ClassIndex);
            try
            {
                using (Image<Rgb24> image = HeatmapRenderer.Overlay(photo.Image, placed[m], overlay))
                    File.WriteAllBytes(Path.Combine(outDir, png), HeatmapRenderer.EncodePng(image));
                File.WriteAllBytes(Path.Combine(outDir, npy), MapFiles.NormalisedNpy(placed[m], npyRange));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"Cannot write {Path.Combine(outDir, png)}: {e.Message}", ExitCodes.Failure);
            }
            files.Add(new WrittenMap(png, npy, map.Method, map.ClassIndex, map.ClassName, map.Layer));
        }
        return new PhotoResult(path, photo.Width, photo.Height, explanation.TopPredictions, null) { Files = files };
    }

    private static void WritePredictions(string path, ICamModel model, string layer, IReadOnlyList<PhotoResult> photos)
    {
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("model", model.Name);
            writer.WriteString("layer", layer);
            writer.WriteNumber("inputWidth", model.Preprocessing.InputWidth);
            writer.WriteNumber("inputHeight", model.Preprocessing.InputHeight);
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

    private sealed record WrittenMap(string Png, string Npy, string Method, int ClassIndex, string ClassName, string Layer);

    private sealed record PhotoResult(string Path, int? Width, int? Height, IReadOnlyList<Prediction> Top, string? Error)
    {
        public IReadOnlyList<WrittenMap> Files { get; init; } = [];
    }
}
