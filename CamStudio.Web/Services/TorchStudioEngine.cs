using System.Collections.Concurrent;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Web.Hosting;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using ImageResizeMode = SixLabors.ImageSharp.Processing.ResizeMode;

namespace CamStudio.Web.Services;

/// <summary>
/// <see cref="IStudioEngine"/> over the real engine. Torch work (model loading, forward and backward passes) runs
/// as single work items on the app's one <see cref="TorchExecutor"/>; decoding, resizing and PNG rendering run on
/// the thread pool, so the torch thread only does torch. Models come from the app's shared <see cref="LoadedModels"/>
/// (loaded once, used only on the torch thread).
/// </summary>
public sealed class TorchStudioEngine : IStudioEngine
{
    private const int ThumbnailHeight = 96;

    private readonly TorchExecutor _executor;
    private readonly LoadedModels _models;
    private readonly StudioOptions _options;
    private readonly PhotoDecoder _decoder;
    private readonly ConcurrentDictionary<string, byte[]> _colorBars = new(StringComparer.Ordinal);

    public TorchStudioEngine(TorchExecutor executor, LoadedModels models, IOptions<StudioOptions> options)
    {
        _executor = executor;
        _models = models;
        _options = options.Value;
        Limits = _options.Limits;
        _decoder = new PhotoDecoder(ImageLimits.Default with { MaxBytes = Limits.MaxBytes, MaxPixels = Limits.MaxPixels });
        Methods = CamMethods.All.Select(m => new CamMethodInfo(m.Id, m.DisplayName)).ToList();
        Colormaps = Colormap.All.Select(c => c.Name).ToList();
    }

    public IReadOnlyList<CamMethodInfo> Methods { get; }

    public IReadOnlyList<string> Colormaps { get; }

    public PhotoLimits Limits { get; }

    public ModelFolder GetModels()
    {
        var usable = _models.Catalog.List().Where(e => e.IsUsable).ToList();
        string? preferred = string.IsNullOrWhiteSpace(_options.DefaultModel) ? ModelCatalog.DefaultModelName : _options.DefaultModel;
        string? defaultModel = usable.FirstOrDefault(e => e.Name.Equals(preferred, StringComparison.OrdinalIgnoreCase))?.Name
            ?? usable.FirstOrDefault()?.Name;
        return new ModelFolder(_models.Catalog.Folder.Describe(),
            usable.Select(e => new ModelEntry(e.Name, Describe(e))).ToList(), defaultModel);
    }

    private static string Describe(CatalogEntry entry) =>
        $"{entry.Manifest?.Architecture ?? entry.Manifest?.Format.ToString() ?? "model"}, {entry.ClassCount?.ToString() ?? "?"} classes";

    public async Task<ModelDetails> GetModelDetailsAsync(string model, CancellationToken cancellationToken)
    {
        (string name, ICamModel loaded) = await LoadAsync(model, cancellationToken);
        return new ModelDetails(name, loaded.Labels, loaded.Layers, loaded.AutoLayer);
    }

    public async Task<StudioPhoto> DecodePhotoAsync(string fileName, Stream content, CancellationToken cancellationToken)
    {
        DecodedPhoto decoded;
        try
        {
            decoded = await _decoder.DecodeAsync(content, fileName, cancellationToken);
        }
        catch (PhotoDecodeException ex)
        {
            bool tooLarge = ex.Reason.Contains("larger", StringComparison.OrdinalIgnoreCase)
                || ex.Reason.Contains("limit", StringComparison.OrdinalIgnoreCase);
            throw new StudioInputException(ex.Message, ex)
            {
                StatusCode = tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status422UnprocessableEntity,
                Title = tooLarge ? "Photo too large" : "Unreadable photo",
            };
        }
        return await Task.Run(() =>
        {
            Image<Rgb24> pixels = decoded.DetachImage();
            Image<Rgb24> display = pixels.Width > StudioPhoto.DisplayMaxSide || pixels.Height > StudioPhoto.DisplayMaxSide
                ? pixels.Clone(c => c.Resize(new ResizeOptions
                {
                    Size = new Size(StudioPhoto.DisplayMaxSide, StudioPhoto.DisplayMaxSide),
                    Mode = ImageResizeMode.Max,
                }))
                : pixels;
            using Image<Rgb24> thumbnail = display.Clone(c => c.Resize(0, Math.Min(ThumbnailHeight, display.Height)));
            using var jpeg = new MemoryStream();
            thumbnail.SaveAsJpeg(jpeg, new JpegEncoder { Quality = 80 });
            return new StudioPhoto(decoded.FileName, pixels, display, $"data:image/jpeg;base64,{Convert.ToBase64String(jpeg.ToArray())}");
        }, cancellationToken);
    }

    public async Task<PhotoExplanation> ExplainAsync(StudioPhoto photo, string model, ExplainRequest request, StudioPriority priority, CancellationToken cancellationToken)
    {
        (string name, ICamModel loaded) = await LoadAsync(model, cancellationToken);
        ExplainRequest checkedRequest = Validate(name, loaded, request);
        // The photo is resized to the model's input off the torch thread; the preprocessor skips resizing a photo
        // already at the input size, so the tensor is the same as from the full photo.
        Image<Rgb24> input = await Task.Run(() => photo.ModelInput(loaded.Preprocessing), cancellationToken);
        WorkPriority queue = priority == StudioPriority.Interactive ? WorkPriority.Interactive : WorkPriority.Batch;
        return await _executor.RunAsync(token =>
        {
            token.ThrowIfCancellationRequested();
            string layer = LayerNames.Resolve(loaded, checkedRequest.Layer);
            foreach (string method in checkedRequest.Methods)
            {
                if (MethodApplicability.WhyNot(CamMethods.Get(method), loaded, layer) is { } reason)
                    throw new StudioInputException(reason) { Title = "Method not applicable" };
            }
            return CamExplainer.Explain(loaded, [input], checkedRequest, token)[0];
        }, queue, cancellationToken);
    }

    private static ExplainRequest Validate(string model, ICamModel loaded, ExplainRequest request)
    {
        var methods = new List<string>(request.Methods.Count);
        foreach (string method in request.Methods)
        {
            ICamMethod? known = CamMethods.All.FirstOrDefault(m => m.Id.Equals(method, StringComparison.OrdinalIgnoreCase));
            if (known is null)
                throw new StudioInputException($"Unknown method '{method}'. Valid methods: {string.Join(", ", CamMethods.Ids)}.") { Title = "Unknown method" };
            methods.Add(known.Id);
        }
        if (!request.Layer.Equals(LayerNames.Auto, StringComparison.OrdinalIgnoreCase) && loaded.Layers.All(l => l.Name != request.Layer))
            throw new StudioInputException(LayerNames.UnknownLayerMessage(model, request.Layer, loaded.Layers)) { Title = "Unknown layer" };
        if (request.Classes is ClassSelection.Indices indices && indices.Classes.Any(c => c < 0 || c >= loaded.Labels.Count))
            throw new StudioInputException(
                $"Class index {indices.Classes.First(c => c < 0 || c >= loaded.Labels.Count)} is out of range: {model} has classes 0–{loaded.Labels.Count - 1}.")
            { Title = "Unknown class" };
        if (request.Classes is ClassSelection.TopK { K: < 1 } || request.Classes is ClassSelection.TopK topK && topK.K > loaded.Labels.Count)
            throw new StudioInputException($"Top-K needs 1 ≤ K ≤ {loaded.Labels.Count}.") { Title = "Unknown class" };
        return request with { Methods = methods };
    }

    private async Task<(string Name, ICamModel Model)> LoadAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            LoadedModel loaded = await _models.GetAsync(model, cancellationToken);
            return (loaded.Name, loaded.Model);
        }
        catch (ModelCatalogException ex)
        {
            throw ex.Kind switch
            {
                ModelCatalogErrorKind.MissingModel => new StudioInputException(ex.Message, ex) { Title = "Unknown model", StatusCode = StatusCodes.Status404NotFound },
                ModelCatalogErrorKind.BrokenModel => new StudioInputException(ex.Message, ex) { Title = "Broken model", StatusCode = StatusCodes.Status422UnprocessableEntity },
                _ => new StudioInputException(ex.Message, ex) { Title = "Model not loadable", StatusCode = StatusCodes.Status422UnprocessableEntity },
            };
        }
    }

    public Task<byte[]> RenderOverlayPngAsync(StudioPhoto photo, CamMap map, OverlayStyle style, bool fullResolution, CancellationToken cancellationToken)
    {
        OverlayOptions options = Options(style);
        return Task.Run(() =>
        {
            // The studio does not pass the model's placement yet (its move to CamEngine will): the whole photo, as before.
            var placed = new CamStudio.Engine.Maps.PlacedMap(map, CamStudio.Engine.Maps.MapPlacement.WholePhoto, map.Width, map.Height);
            using Image<Rgb24> overlay = HeatmapRenderer.Overlay(fullResolution ? photo.Pixels : photo.Display, placed, options);
            return HeatmapRenderer.EncodePng(overlay);
        }, cancellationToken);
    }

    public byte[] RenderColorBarPng(string colormap)
    {
        Colormap parsed = ParseColormap(colormap);
        return _colorBars.GetOrAdd(parsed.Name, _ =>
        {
            using Image<Rgb24> bar = HeatmapRenderer.ColorBar(parsed, 256, 8);
            return HeatmapRenderer.EncodePng(bar);
        });
    }

    public Task<byte[]> RenderSheetPngAsync(StudioPhoto photo, ComparisonLayout layout, OverlayStyle style, CancellationToken cancellationToken)
    {
        var options = new ComparisonSheetOptions
        {
            Colormap = ParseColormap(style.Colormap),
            Alpha = style.Opacity,
            SharedScale = style.Range is not null,
            CellSize = 320,
            Title = photo.FileName,
        };
        var maps = layout.Cells.Select(row => (IReadOnlyList<CamMap?>)row.Cast<CamMap?>().ToList()).ToList();
        return Task.Run(() => ComparisonSheet.ComposePng(photo.Display, layout.RowLabels, layout.ColumnLabels, maps, options), cancellationToken);
    }

    public byte[] EncodeNpy(CamMap map) => NpyFormat.ToBytes(map);

    private static OverlayOptions Options(OverlayStyle style) =>
        new() { Colormap = ParseColormap(style.Colormap), Alpha = Math.Clamp(style.Opacity, 0f, 1f), Range = style.Range };

    private static Colormap ParseColormap(string name) =>
        Colormap.TryParse(name, out Colormap? colormap)
            ? colormap
            : throw new StudioInputException($"Unknown colormap '{name}'. Valid colormaps: {string.Join(", ", Colormap.All.Select(c => c.Name))}.") { Title = "Unknown colormap" };
}
