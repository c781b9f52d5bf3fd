using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Models.Catalog;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Studio;

/// <summary><see cref="IStudioEngine"/> as the app's one <see cref="CamEngine"/>: every call forwarded as it is.</summary>
public sealed class CamEngineStudioEngine(CamEngine engine, ModelCatalog catalog) : IStudioEngine
{
    public string ModelsDirectory => catalog.Folder.Describe();

    public string DefaultModel => engine.DefaultModel;

    // Read on every call: a method registered while the app runs shows up.
    public IReadOnlyList<CamMethodInfo> Methods => engine.Methods.All.Select(CamMethodInfo.Of).ToList();

    public IReadOnlyList<EngineModelSummary> ListModels() => engine.ListModels();

    public Task<EngineModelDetails> GetModelAsync(string? model, CancellationToken cancellationToken) =>
        engine.GetModelAsync(model, cancellationToken);

    public Task<IReadOnlyList<MethodAvailability>> MethodsForAsync(string? model, string? layer, CancellationToken cancellationToken) =>
        engine.MethodsForAsync(model, layer, cancellationToken);

    public Task<EngineExplanation> ExplainAsync(CamRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken) =>
        engine.ExplainAsync(request, photos, progress, cancellationToken);

    public Task<EngineEvaluation> EvaluateAsync(EvaluateRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken) =>
        engine.EvaluateAsync(request, photos, progress, cancellationToken);

    public Task<ConceptExplanation> ConceptsAsync(ConceptRequest request, Image<Rgb24> photo, CancellationToken cancellationToken) =>
        engine.ConceptsAsync(request, photo, cancellationToken);

    public Task<EngineRecommendation> RecommendAsync(RecommendRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken) =>
        engine.RecommendAsync(request, photos, progress, cancellationToken);
}
