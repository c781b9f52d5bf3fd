using CamStudio.Engine;
using CamStudio.Engine.Cam;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using CamStudio.Engine.Maps;

namespace CamStudio.Web.Studio;

/// <summary>
/// The <see cref="CamEngine"/> calls the studio's pages and its HTTP API make, one to one (<see cref="CamEngineStudioEngine"/>
/// forwards each to the app's one engine; component tests script it). Nothing here validates or loads: the engine
/// understands every request and refuses bad ones with a <see cref="CamRequestException"/>.
/// </summary>
public interface IStudioEngine
{
    /// <summary>The models folder, for the "no model yet" notice.</summary>
    string ModelsDirectory { get; }

    /// <summary>The model a request without one uses (<see cref="CamEngine.DefaultModel"/>).</summary>
    string DefaultModel { get; }

    /// <summary>Every method the engine knows (built-in and registered), in its order.</summary>
    IReadOnlyList<CamMethodInfo> Methods { get; }

    /// <summary><see cref="CamEngine.ListModels"/>.</summary>
    IReadOnlyList<EngineModelSummary> ListModels();

    /// <summary><see cref="CamEngine.GetModelAsync"/>.</summary>
    Task<EngineModelDetails> GetModelAsync(string? model, CancellationToken cancellationToken);

    /// <summary><see cref="CamEngine.MethodsForAsync"/>.</summary>
    Task<IReadOnlyList<MethodAvailability>> MethodsForAsync(string? model, string? layer, CancellationToken cancellationToken);

    /// <summary><see cref="CamEngine.ExplainAsync(CamRequest, IReadOnlyList{Image{Rgb24}}, IProgress{ExplainProgress}?, CancellationToken)"/>.</summary>
    Task<EngineExplanation> ExplainAsync(CamRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken);

    /// <summary><see cref="CamEngine.EvaluateAsync"/> (scripted engines that do not score maps need not implement it).</summary>
    Task<EngineEvaluation> EvaluateAsync(EvaluateRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken) => throw new NotSupportedException("This engine does not evaluate maps.");

    /// <summary><see cref="CamEngine.ConceptsAsync"/> (scripted engines that do not factorise need not implement it).</summary>
    Task<ConceptExplanation> ConceptsAsync(ConceptRequest request, Image<Rgb24> photo, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This engine does not factorise concepts.");

    /// <summary><see cref="CamEngine.RecommendAsync"/>.</summary>
    Task<EngineRecommendation> RecommendAsync(RecommendRequest request, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken) => throw new NotSupportedException("This engine does not recommend.");
}

/// <summary>A CAM method as the pickers show it before a model says whether it applies.</summary>
/// <param name="ExtraForwards">Extra forward passes per photo at a layer of that many channels (0 for one-pass methods).</param>
/// <param name="Paper">The method's paper, in one line (shown on hover).</param>
/// <param name="IsClassSpecific">False for a method whose map ignores the class (Eigen-CAM).</param>
public sealed record CamMethodInfo(string Id, string DisplayName, bool IsSlow, Func<long, long> ExtraForwards, string Paper = "", bool IsClassSpecific = true)
{
    public static CamMethodInfo Of(ICamMethod method) =>
        new(method.Id, method.DisplayName, method.NeedsExtraForwards, channels => method.NeedsExtraForwards ? method.ExtraForwardsPerPhoto(channels) : 0,
            method.Paper, method.IsClassSpecific);
}

/// <summary>The models folder and the usable models in it, for the pickers.</summary>
public sealed record ModelFolder(string Directory, IReadOnlyList<EngineModelSummary> Models, string? DefaultModel)
{
    public bool IsEmpty => Models.Count == 0;

    /// <summary>The usable models of <paramref name="engine"/>; the default is the engine's when usable, else the first.</summary>
    public static ModelFolder Of(IStudioEngine engine)
    {
        var usable = engine.ListModels().Where(m => m.IsUsable).ToList();
        string? preferred = usable.FirstOrDefault(m => m.Name.Equals(engine.DefaultModel, StringComparison.OrdinalIgnoreCase))?.Name
            ?? usable.FirstOrDefault()?.Name;
        return new ModelFolder(engine.ModelsDirectory, usable, preferred);
    }
}

/// <summary>How a map is coloured: colormap, heatmap opacity in [0, 1], and the value range (null: the map's own).</summary>
public sealed record OverlayStyle(string Colormap, float Opacity, ValueRange? Range = null);

/// <summary>The cells of a comparison sheet, row-major: <c>Cells[row][column]</c>, each map with its placement.</summary>
public sealed record ComparisonLayout(IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels,
    IReadOnlyList<IReadOnlyList<CamStudio.Engine.Maps.PlacedMap>> Cells);

/// <summary>Upload limits: bytes per file, pixels per photo, photos per session.</summary>
public sealed record PhotoLimits(long MaxBytes, long MaxPixels, int MaxPhotos)
{
    public static PhotoLimits Default { get; } = new(32L * 1024 * 1024, CamStudio.Engine.Imaging.ImageLimits.DefaultMaxPixels, 12);
}

/// <summary>A studio-only refusal (a session's photo limit, an unreadable browser upload); the message says what was wrong.</summary>
public class StudioInputException(string message, Exception? inner = null) : Exception(message, inner);
