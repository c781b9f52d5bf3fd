using System.Collections.Concurrent;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Web.Hosting;
using CamStudio.Web.Studio;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// A scripted <see cref="IStudioEngine"/> for component tests (UI only: no torch). Maps are 7×7 with values
/// that depend on method and class, predictions are fixed, and every call is recorded so tests can check
/// what the page asked for (and what it did not ask for).
/// </summary>
public sealed partial class FakeStudioEngine : IStudioEngine
{
    public static readonly IReadOnlyList<string> ClassNames =
        ["tench, Tinca tinca", "goldfish", "boxer", "bull mastiff", "Tibetan mastiff", "tabby, tabby cat", "tiger cat", "Egyptian cat"];

    public const int BullMastiff = 3;
    public const int TigerCat = 6;

    public List<string> ModelNames { get; } = ["mobilenetv2"];

    public ConcurrentQueue<CamRequest> ExplainRequests { get; } = new();

    public ConcurrentQueue<CancellationToken> ExplainTokens { get; } = new();

    /// <summary>When set, ExplainAsync waits for it (honouring cancellation) before answering.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>When set, ExplainAsync throws it.</summary>
    public Exception? Failure { get; set; }

    /// <summary>Progress ExplainAsync reports before it waits for <see cref="Gate"/>.</summary>
    public ExplainProgress? ProgressToReport { get; set; }

    /// <summary>Where each map is placed (default: the whole photo, as a stretching model).</summary>
    public MapPlacement Placement { get; set; } = MapPlacement.WholePhoto;

    /// <summary>Methods that do not apply (id → reason), as <see cref="CamEngine.MethodsForAsync"/> would say.</summary>
    public Dictionary<string, string> Unavailable { get; } = [];

    public int ExplainCalls => ExplainRequests.Count;

    /// <summary>What <see cref="EngineModelDetails.WhyNoGuided"/> says (null: guided backpropagation applies).</summary>
    public string? WhyNoGuided { get; set; }

    public ConcurrentQueue<ConceptRequest> ConceptRequests { get; } = new();

    /// <summary>K concepts, concept i a 7×7 map lit in its own column, named by class i and the next one.</summary>
    public Task<ConceptExplanation> ConceptsAsync(ConceptRequest request, Image<Rgb24> photo, CancellationToken cancellationToken)
    {
        ConceptRequests.Enqueue(request);
        if (request.Concepts > 7)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, ConceptFields.Concepts, $"Layer 'features.18' has 7 columns here; ask for at most 7 concepts, got {request.Concepts}.");
        var concepts = Enumerable.Range(0, request.Concepts).Select(k => new PlacedConcept(k,
            new PlacedMap(new CamMap(7, 7, Enumerable.Range(0, 49).Select(i => i % 7 == k ? 1f : 0f).ToArray()), Placement, 224, 224),
            [new Prediction(k, ClassNames[k], 0.6f), new Prediction(k + 1, ClassNames[k + 1], 0.2f)])).ToList();
        return Task.FromResult(new ConceptExplanation(request.Model ?? DefaultModel, request.Layer ?? "features.18", concepts));
    }

    public string ModelsDirectory => "/tmp/fake-models";

    public string DefaultModel => "mobilenetv2";

    public IReadOnlyList<CamMethodInfo> Methods { get; } =
        [new("gradcam", "Grad-CAM", false, _ => 0), new("gradcampp", "Grad-CAM++", false, _ => 0), new("scorecam", "Score-CAM", true, c => c), new("cam", "CAM", false, _ => 0)];

    public IReadOnlyList<EngineModelSummary> ListModels() => ModelNames.Select(n => new EngineModelSummary(n, "fake", true, "ok")).ToList();

    public Task<EngineModelDetails> GetModelAsync(string? model, CancellationToken cancellationToken) =>
        model is not null && ModelNames.Contains(model)
            ? Task.FromResult(new EngineModelDetails(model, ClassNames,
                [new LayerInfo("features.17", [1, 320, 7, 7], "Conv"), new LayerInfo("features.18", [1, 1280, 7, 7], "Conv"), new LayerInfo("classifier", [1, 8], "Gemm")],
                "features.18", "features.18", PreprocessingSpec.ImageNet(), ModelCapabilities.Gradients, null) { WhyNoGuided = WhyNoGuided })
            : throw new CamRequestException(CamRequestErrorKind.UnknownModel, CamRequestFields.Model, $"Unknown model '{model}'.");

    public async Task<IReadOnlyList<MethodAvailability>> MethodsForAsync(string? model, string? layer, CancellationToken cancellationToken)
    {
        await GetModelAsync(model, cancellationToken);
        return Methods.Select(m => new MethodAvailability(m.Id, m.DisplayName, "", m.IsSlow ? MethodRequirements.ExtraForwards : MethodRequirements.None,
            !Unavailable.ContainsKey(m.Id), Unavailable.GetValueOrDefault(m.Id)) { TakesEigenSmooth = m.Id is "gradcam" or "cam" }).ToList();
    }

    public async Task<EngineExplanation> ExplainAsync(CamRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        ExplainRequests.Enqueue(request);
        ExplainTokens.Enqueue(cancellationToken);
        if (ProgressToReport is { } report)
            progress?.Report(report);
        if (Gate is { } gate)
            await gate.Task.WaitAsync(cancellationToken);
        if (Failure is { } failure)
            throw failure;
        IReadOnlyList<int> classes = (request.ClassSelection ?? ClassSelectionParser.Parse(request.Classes ?? "top1", ClassNames, "fake")) switch
        {
            ClassSelection.Indices indices => indices.Classes,
            ClassSelection.TopK topK => Predictions.Take(topK.K).Select(p => p.ClassIndex).ToList(),
            _ => throw new NotSupportedException(),
        };
        var maps = (from c in classes
                    from m in request.Methods
                    select new PlacedClassMap(m, c, ClassNames[c], "features.18", new PlacedMap(MapFor(m, c), Placement, 224, 224))).ToList();
        IReadOnlyList<GuidedGradient> guided = request.Guided
            ? classes.Select(c => new GuidedGradient(c, ClassNames[c], 8, 8, Enumerable.Range(0, 3 * 64).Select(i => (i % 7 - 3) / 3f).ToArray())).ToList()
            : [];
        return new EngineExplanation(request.Model ?? DefaultModel, "features.18", [new PhotoMaps(Predictions, maps, Placement) { Guided = guided }],
            new ExplainTimings(0, 12, 3, 20));
    }

    public static IReadOnlyList<Prediction> Predictions { get; } =
    [
        new(BullMastiff, "bull mastiff", 0.61f), new(TigerCat, "tiger cat", 0.17f), new(2, "boxer", 0.09f),
        new(5, "tabby, tabby cat", 0.05f), new(4, "Tibetan mastiff", 0.03f), new(7, "Egyptian cat", 0.02f),
    ];

    /// <summary>A 7×7 map whose range differs per method and class, so own and shared scales differ.</summary>
    public static CamMap MapFor(string method, int classIndex)
    {
        float scale = 1 + classIndex + 10 * method.Length;
        return new CamMap(7, 7, Enumerable.Range(0, 49).Select(i => i * scale / 48f).ToArray());
    }

    public static byte[] TinyPng(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(200, 40, 40));
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }
}

/// <summary>The real <see cref="StudioPictures"/> with settable limits, recording the style of every overlay it renders.</summary>
public sealed class RecordingStudioPictures() : StudioPictures(Options.Create(new StudioOptions()))
{
    public ConcurrentQueue<OverlayStyle> OverlayStyles { get; } = new();

    public PhotoLimits LimitsOverride { get; set; } = new(1024 * 1024, 4_000_000, 4);

    public override PhotoLimits Limits => LimitsOverride;

    public override Task<byte[]> RenderOverlayPngAsync(StudioPhoto photo, PlacedMap map, OverlayStyle style, bool fullResolution, CancellationToken cancellationToken)
    {
        OverlayStyles.Enqueue(style);
        return base.RenderOverlayPngAsync(photo, map, style, fullResolution, cancellationToken);
    }
}
