using System.Collections.Concurrent;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Models;
using CamStudio.Web.Services;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// A scripted <see cref="IStudioEngine"/> for component tests (UI only: no torch). Maps are 7×7 with values
/// that depend on method and class, predictions are fixed, and every call is recorded so tests can check
/// what the page asked for (and what it did not ask for).
/// </summary>
public sealed class FakeStudioEngine : IStudioEngine
{
    public static readonly IReadOnlyList<string> ClassNames =
        ["tench, Tinca tinca", "goldfish", "boxer", "bull mastiff", "Tibetan mastiff", "tabby, tabby cat", "tiger cat", "Egyptian cat"];

    public const int BullMastiff = 3;
    public const int TigerCat = 6;

    public List<string> ModelNames { get; } = ["mobilenetv2"];

    public ConcurrentQueue<ExplainRequest> ExplainRequests { get; } = new();

    public ConcurrentQueue<OverlayStyle> OverlayStyles { get; } = new();

    public ConcurrentQueue<CancellationToken> ExplainTokens { get; } = new();

    /// <summary>When set, ExplainAsync waits for it (honouring cancellation) before answering.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>When set, ExplainAsync throws it.</summary>
    public Exception? Failure { get; set; }

    public int ExplainCalls => ExplainRequests.Count;

    public IReadOnlyList<CamMethodInfo> Methods { get; } =
        [new("gradcam", "Grad-CAM"), new("gradcampp", "Grad-CAM++"), new("scorecam", "Score-CAM"), new("cam", "CAM")];

    public IReadOnlyList<string> Colormaps { get; } = ["jet", "viridis", "gray"];

    public PhotoLimits Limits { get; set; } = new(1024 * 1024, 4_000_000, 4);

    public ModelFolder GetModels() =>
        new("/tmp/fake-models", ModelNames.Select(n => new ModelEntry(n, "fake")).ToList(), ModelNames.FirstOrDefault());

    public Task<ModelDetails> GetModelDetailsAsync(string model, CancellationToken cancellationToken) =>
        ModelNames.Contains(model)
            ? Task.FromResult(new ModelDetails(model, ClassNames,
                [new LayerInfo("features.17", [1, 320, 7, 7], "Conv"), new LayerInfo("features.18", [1, 1280, 7, 7], "Conv"), new LayerInfo("classifier", [1, 8], "Gemm")],
                "features.18"))
            : throw new StudioInputException($"Unknown model '{model}'.");

    public Task<StudioPhoto> DecodePhotoAsync(string fileName, Stream content, CancellationToken cancellationToken)
    {
        try
        {
            Image<Rgb24> image = Image.Load<Rgb24>(content);
            return Task.FromResult(new StudioPhoto(fileName, image, image, "data:image/png;base64,"));
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException)
        {
            throw new StudioInputException($"{fileName}: not a photo this studio can read.", ex);
        }
    }

    public async Task<PhotoExplanation> ExplainAsync(StudioPhoto photo, string model, ExplainRequest request, StudioPriority priority, CancellationToken cancellationToken)
    {
        ExplainRequests.Enqueue(request);
        ExplainTokens.Enqueue(cancellationToken);
        if (Gate is { } gate)
            await gate.Task.WaitAsync(cancellationToken);
        if (Failure is { } failure)
            throw failure;
        IReadOnlyList<int> classes = request.Classes switch
        {
            ClassSelection.Indices indices => indices.Classes,
            ClassSelection.TopK topK => Predictions.Take(topK.K).Select(p => p.ClassIndex).ToList(),
            _ => throw new NotSupportedException(),
        };
        var maps = (from c in classes from m in request.Methods select new ClassMap(m, c, ClassNames[c], "features.18", MapFor(m, c))).ToList();
        return new PhotoExplanation(Predictions, maps);
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

    public Task<byte[]> RenderOverlayPngAsync(StudioPhoto photo, CamMap map, OverlayStyle style, bool fullResolution, CancellationToken cancellationToken)
    {
        OverlayStyles.Enqueue(style);
        return Task.FromResult(TinyPng(fullResolution ? photo.Width : 4, fullResolution ? photo.Height : 3));
    }

    public byte[] RenderColorBarPng(string colormap) => TinyPng(16, 1);

    public Task<byte[]> RenderSheetPngAsync(StudioPhoto photo, ComparisonLayout layout, OverlayStyle style, CancellationToken cancellationToken) =>
        Task.FromResult(TinyPng(8 * layout.ColumnLabels.Count, 8 * layout.RowLabels.Count));

    public byte[] EncodeNpy(CamMap map) => new byte[128];

    public static byte[] TinyPng(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height, new Rgb24(200, 40, 40));
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }
}
