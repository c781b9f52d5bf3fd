using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Runtime;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using ImageResizeMode = SixLabors.ImageSharp.Processing.ResizeMode;

namespace CamStudio.Web.Jobs;

/// <summary>
/// <see cref="IPhotoBatchExplainer"/> over <see cref="CamEngine"/>: settings become a <see cref="CamRequest"/>
/// (Batch priority, the job owner's session), planned once; each batch is decoded off the torch thread, explained
/// by the engine, and drawn with the placed renderer (the margins a centre-crop model never saw stay uncoloured).
/// </summary>
public sealed class EnginePhotoBatchExplainer : IPhotoBatchExplainer
{
    /// <summary>Overlays are drawn on the photo scaled down to at most this many pixels on its longer side.</summary>
    public const int OverlayMaxSide = 1024;

    private readonly CamEngine _engine;
    private readonly PhotoDecoder _decoder;
    private readonly JobOptions _options;

    public EnginePhotoBatchExplainer(CamEngine engine, IOptions<JobOptions> options, IConfiguration configuration)
    {
        _engine = engine;
        _options = options.Value;
        // One pixel limit for the API, the studio and jobs: the value the studio's options bind (CamStudio:MaxPixels).
        long maxPixels = configuration.GetSection(CamStudio.Web.Hosting.StudioOptions.SectionName).Get<CamStudio.Web.Hosting.StudioOptions>()?.MaxPixels
            ?? new CamStudio.Web.Hosting.StudioOptions().MaxPixels;
        _decoder = new PhotoDecoder(ImageLimits.Default with { MaxBytes = Math.Min(ImageLimits.DefaultMaxBytes, _options.MaxPhotoBytes), MaxPixels = maxPixels });
    }

    /// <summary>The engine's request for a job's settings (empty model: the engine's default).</summary>
    public static CamRequest RequestOf(JobSettings settings, string owner) => new()
    {
        Model = string.IsNullOrWhiteSpace(settings.Model) ? null : settings.Model,
        Methods = settings.Methods,
        Classes = settings.Classes,
        Layer = settings.Layer,
        Options = settings.Options,
        Priority = WorkPriority.Batch,
        Owner = owner,
    };

    public async Task<PreparedJob> PrepareAsync(JobSettings settings, string owner, CancellationToken cancellationToken) =>
        new(await _engine.PlanAsync(RequestOf(settings, owner), cancellationToken));

    public async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths,
        IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
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
            // The engine takes at most MaxPhotosPerRequest photos per call; a job's batch may be larger.
            foreach (int[] chunk in good.Chunk(CamEngine.MaxPhotosPerRequest))
            {
                EngineExplanation explained = await _engine.ExplainAsync(job.Plan, [.. chunk.Select(i => photos[i]!)], progress, cancellationToken);
                await Task.Run(() =>
                {
                    for (int g = 0; g < chunk.Length; g++)
                        outcomes[chunk[g]] = Render(photos[chunk[g]]!, explained.Photos[g]);
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

    private PhotoOutcome Render(Image<Rgb24> photo, PhotoMaps explanation)
    {
        using Image<Rgb24> shown = photo.Width > OverlayMaxSide || photo.Height > OverlayMaxSide
            ? photo.Clone(c => c.Resize(new ResizeOptions { Size = new Size(OverlayMaxSide, OverlayMaxSide), Mode = ImageResizeMode.Max }))
            : photo.Clone();
        var overlays = new List<byte[]>(explanation.Maps.Count);
        byte[] thumbnail = [];
        for (int m = 0; m < explanation.Maps.Count; m++)
        {
            using Image<Rgb24> overlay = HeatmapRenderer.Overlay(shown, explanation.Maps[m].Map);
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
