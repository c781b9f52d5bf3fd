using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TorchSharp;
using ImageResizeMode = SixLabors.ImageSharp.Processing.ResizeMode;

namespace CamStudio.Web.Jobs;

/// <summary>
/// <see cref="IPhotoBatchExplainer"/> over the engine: models from the app's shared <see cref="LoadedModels"/>, one forward pass
/// per batch through <see cref="CamExplainer"/> as ONE work item at <see cref="WorkPriority.Batch"/> on the shared
/// <see cref="TorchExecutor"/> (so a click in the explorer waits at most one batch). Decoding and PNG rendering
/// happen off the torch thread.
/// </summary>
public sealed class EnginePhotoBatchExplainer : IPhotoBatchExplainer
{
    /// <summary>Overlays are drawn on the photo scaled down to at most this many pixels on its longer side.</summary>
    public const int OverlayMaxSide = 1024;

    private readonly TorchExecutor _executor;
    private readonly LoadedModels _models;
    private readonly PhotoDecoder _decoder;
    private readonly JobOptions _options;
    private readonly string _defaultModel;

    public EnginePhotoBatchExplainer(TorchExecutor executor, LoadedModels models, IOptions<JobOptions> options, IConfiguration configuration)
    {
        _executor = executor;
        _models = models;
        _options = options.Value;
        // One pixel limit for the API, the studio and jobs: the value the studio's options bind (CamStudio:MaxPixels).
        long maxPixels = configuration.GetSection(CamStudio.Web.Hosting.StudioOptions.SectionName).Get<CamStudio.Web.Hosting.StudioOptions>()?.MaxPixels
            ?? CamStudio.Web.Services.PhotoLimits.Default.MaxPixels;
        _decoder = new PhotoDecoder(ImageLimits.Default with { MaxBytes = Math.Min(ImageLimits.DefaultMaxBytes, _options.MaxPhotoBytes), MaxPixels = maxPixels });
        string? configured = configuration["CamStudio:DefaultModel"];
        _defaultModel = string.IsNullOrWhiteSpace(configured) ? ModelCatalog.DefaultModelName : configured;
    }

    public async Task<PreparedJob> PrepareAsync(JobSettings settings, CancellationToken cancellationToken)
    {
        foreach (string method in settings.Methods)
        {
            if (!CamMethods.Ids.Contains(method, StringComparer.OrdinalIgnoreCase))
                throw new JobInputException($"Unknown CAM method '{method}'. Valid methods: {string.Join(", ", CamMethods.Ids)}.");
        }
        string name = string.IsNullOrWhiteSpace(settings.Model) ? _defaultModel : settings.Model;
        LoadedModel loaded = await LoadAsync(name, cancellationToken);
        ICamModel model = loaded.Model;
        string layer;
        try
        {
            layer = LayerNames.Resolve(model, settings.Layer);
        }
        catch (ArgumentException ex)
        {
            throw new JobInputException(ex.Message);
        }
        ClassSelection classes;
        try
        {
            classes = ClassSelectionParser.Parse(settings.Classes, model.Labels, loaded.Name);
        }
        catch (ClassSelectionException ex)
        {
            throw new JobInputException(ex.Message);
        }
        var methods = settings.Methods.Select(m => CamMethods.Get(m).Id).Distinct().ToList();
        // HeadAfter may run the model: on the torch thread.
        string? notApplicable = await _executor.RunAsync(_ => methods.Select(m => MethodApplicability.WhyNot(CamMethods.Get(m), model, layer))
            .FirstOrDefault(reason => reason is not null), WorkPriority.Interactive, cancellationToken);
        if (notApplicable is not null)
            throw new JobInputException(notApplicable);
        return new PreparedJob(loaded.Name, loaded.Sha256, layer, methods, classes, model.Labels);
    }

    private async Task<LoadedModel> LoadAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _models.GetAsync(name, cancellationToken);
        }
        catch (ModelCatalogException ex)
        {
            throw new JobInputException(ex.Message);
        }
    }

    public async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, CancellationToken cancellationToken)
    {
        LoadedModel loaded = await LoadAsync(string.IsNullOrWhiteSpace(job.ModelName) ? _defaultModel : job.ModelName, cancellationToken);
        var outcomes = new PhotoOutcome?[photoPaths.Count];
        var photos = new Image<Rgb24>?[photoPaths.Count];
        try
        {
            await Task.Run(() =>
            {
                for (int i = 0; i < photoPaths.Count; i++)
                {
                    try
                    {
                        using DecodedPhoto decoded = _decoder.Decode(photoPaths[i]);
                        photos[i] = decoded.DetachImage();
                    }
                    catch (PhotoDecodeException ex)
                    {
                        outcomes[i] = new PhotoOutcome.Failed(ex.Message);
                    }
                }
            }, cancellationToken);

            var good = Enumerable.Range(0, photos.Length).Where(i => photos[i] is not null).ToList();
            if (good.Count > 0)
            {
                var request = new ExplainRequest(job.Methods, job.Classes, job.Layer);
                ICamModel model = loaded.Model;
                IReadOnlyList<PhotoExplanation> explanations = await _executor.RunAsync(_ =>
                {
                    using var scope = torch.NewDisposeScope();
                    using var batch = PhotoPreprocessor.ToBatch([.. good.Select(i => photos[i]!)], model.Preprocessing, model.Device);
                    return CamExplainer.Explain(model, batch, request);
                }, WorkPriority.Batch, cancellationToken);

                await Task.Run(() =>
                {
                    for (int g = 0; g < good.Count; g++)
                        outcomes[good[g]] = Render(photos[good[g]]!, explanations[g], model.Preprocessing);
                }, CancellationToken.None);
            }
            return [.. outcomes.Select(o => o!)];
        }
        finally
        {
            foreach (var photo in photos)
                photo?.Dispose();
        }
    }

    private PhotoOutcome Render(Image<Rgb24> photo, PhotoExplanation explanation, PreprocessingSpec spec)
    {
        using Image<Rgb24> shown = photo.Width > OverlayMaxSide || photo.Height > OverlayMaxSide
            ? photo.Clone(c => c.Resize(new ResizeOptions { Size = new Size(OverlayMaxSide, OverlayMaxSide), Mode = ImageResizeMode.Max }))
            : photo.Clone();
        var overlays = new List<byte[]>(explanation.Maps.Count);
        byte[] thumbnail = [];
        for (int m = 0; m < explanation.Maps.Count; m++)
        {
            using Image<Rgb24> overlay = HeatmapRenderer.Overlay(shown, PhotoPreprocessor.Place(explanation.Maps[m].Map, photo.Width, photo.Height, spec));
            overlays.Add(HeatmapRenderer.EncodePng(overlay));
            if (m == 0)
            {
                int size = _options.ThumbnailSize;
                overlay.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ImageResizeMode.Max }));
                thumbnail = HeatmapRenderer.EncodePng(overlay);
            }
        }
        if (thumbnail.Length == 0)
        {
            shown.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(_options.ThumbnailSize, _options.ThumbnailSize), Mode = ImageResizeMode.Max }));
            thumbnail = HeatmapRenderer.EncodePng(shown);
        }
        return new PhotoOutcome.Explained(explanation, overlays, thumbnail);
    }
}
