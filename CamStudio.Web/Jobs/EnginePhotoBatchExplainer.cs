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
        Layers = settings.Layers ?? [],
        Fuse = settings.Fuse,
        AugSmooth = settings.AugSmooth,
        EigenSmooth = settings.EigenSmooth,
        Guided = settings.Guided,
        Priority = WorkPriority.Batch,
        Owner = owner,
    };

    /// <summary>The engine's evaluation for a job's metrics, or null when the job asks for none.</summary>
    public static EvaluateRequest? EvaluationOf(JobSettings settings, string owner) => settings.Metrics is not { } metrics ? null : new EvaluateRequest
    {
        Request = RequestOf(settings, owner),
        Metrics = metrics.Names,
        Steps = metrics.Steps,
        Baselines = metrics.Baselines,
        Baseline = metrics.Baseline,
    };

    /// <summary>The engine's concept request for a job's concepts (at the job's layer), or null when the job asks for none.</summary>
    public static ConceptRequest? ConceptsOf(JobSettings settings, string owner) => settings.Concepts is not { } concepts ? null : new ConceptRequest
    {
        Model = string.IsNullOrWhiteSpace(settings.Model) ? null : settings.Model,
        Layer = settings.Layer,
        Concepts = concepts.Count,
        ClassesPerConcept = concepts.ClassesPerConcept,
        Priority = WorkPriority.Batch,
        Owner = owner,
    };

    /// <summary>The job planned by the engine; with metrics, also checked by the engine's evaluation checks, and their forwards counted.</summary>
    public async Task<PreparedJob> PrepareAsync(JobSettings settings, string owner, CancellationToken cancellationToken)
    {
        var job = new PreparedJob(await _engine.PlanAsync(RequestOf(settings, owner), cancellationToken));
        if (ConceptsOf(settings, owner) is { } concepts)
        {
            await _engine.CheckConceptsAsync(concepts, cancellationToken);
            job = job with { Concepts = concepts };
        }
        if (EvaluationOf(settings, owner) is not { } evaluation)
            return job;
        EvaluationPlan scored = await _engine.PlanEvaluationAsync(evaluation, cancellationToken);
        return job with { ForwardsPerPhoto = job.ForwardsPerPhoto + scored.ForwardsPerPhoto, Evaluation = evaluation };
    }

    public async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths,
        IProgress<ExplainProgress>? progress, CancellationToken cancellationToken)
    {
        ExplainPlan plan = job.Plan ?? throw new InvalidOperationException($"Job of model {job.ModelName} was planned on a cluster worker; this process has no plan for it.");
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
            long forwardsBefore = 0;
            foreach (int[] chunk in good.Chunk(CamEngine.MaxPhotosPerRequest))
            {
                Image<Rgb24>[] images = [.. chunk.Select(i => photos[i]!)];
                EngineExplanation explained = await _engine.ExplainAsync(plan, images, Offset(progress, forwardsBefore), cancellationToken);
                forwardsBefore += plan.ExtraForwardsPerPhoto * images.Length;
                // The metrics score the same maps (the engine recomputes them: a few passes beside the perturbation stacks).
                EngineEvaluation? scored = job.Evaluation is { } evaluation
                    ? await _engine.EvaluateAsync(evaluation, images, Offset(progress, forwardsBefore), cancellationToken)
                    : null;
                forwardsBefore += scored is null ? 0 : (job.ForwardsPerPhoto - plan.ExtraForwardsPerPhoto) * images.Length;
                var concepts = new ConceptExplanation?[images.Length];
                if (job.Concepts is { } conceptRequest)
                {
                    for (int g = 0; g < images.Length; g++)
                        concepts[g] = await _engine.ConceptsAsync(conceptRequest, images[g], cancellationToken);
                }
                await Task.Run(() =>
                {
                    for (int g = 0; g < chunk.Length; g++)
                    {
                        var outcome = Render(photos[chunk[g]]!, explained.Photos[g], concepts[g]);
                        outcomes[chunk[g]] = scored is null ? outcome : outcome with { Scores = ScoresOf(scored.Photos[g]) };
                    }
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

    /// <summary>One photo's scored maps as the job stores them.</summary>
    private static IReadOnlyList<JobMapScore> ScoresOf(PhotoEvaluation photo) =>
        [.. photo.Maps.Select(m => new JobMapScore(m.Method, m.ClassIndex, m.ClassName, m.Layer, m.IsBaseline, m.Probability, m.Scores))];

    /// <summary>Progress of one engine call shifted by the forwards this batch's earlier calls did.</summary>
    private static IProgress<ExplainProgress>? Offset(IProgress<ExplainProgress>? progress, long before) =>
        progress is null || before == 0 ? progress : new Progress(progress, before);

    private sealed class Progress(IProgress<ExplainProgress> inner, long before) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => inner.Report(value with { DoneForwards = value.DoneForwards + before, TotalForwards = value.TotalForwards + before });
    }

    private PhotoOutcome.Explained Render(Image<Rgb24> photo, PhotoMaps explanation, ConceptExplanation? concepts)
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
        // Before the thumbnail shrinks it: the concept picture is drawn on the photo as the overlays show it.
        JobPictures? pictures = JobPictures.Render(explanation, concepts, shown);
        if (thumbnail.Length == 0)
        {
            shown.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(_options.ThumbnailSize, _options.ThumbnailSize), Mode = ImageResizeMode.Max }));
            thumbnail = HeatmapRenderer.EncodePng(shown);
        }
        return new PhotoOutcome.Explained(explanation, overlays, thumbnail) { Pictures = pictures };
    }
}
