using CamStudio.Engine.Cam;
using CamStudio.Engine.Models;

namespace CamStudio.Web.Services;

/// <summary>
/// What the studio (pages and HTTP API) needs from the engine. Pages talk to this interface only and never see
/// tensors; the implementation runs all torch work on the engine's torch thread.
/// </summary>
public interface IStudioEngine
{
    /// <summary>The models folder and the models registered in it (re-read on every call, so a model added while the app runs shows up).</summary>
    ModelFolder GetModels();

    /// <summary>The CAM methods the engine knows, in display order.</summary>
    IReadOnlyList<CamMethodInfo> Methods { get; }

    /// <summary>Colormap names, the first being the default.</summary>
    IReadOnlyList<string> Colormaps { get; }

    /// <summary>The upload limits enforced by <see cref="DecodePhotoAsync"/>.</summary>
    PhotoLimits Limits { get; }

    /// <summary>Class names and capturable layers of a model (loads it on first use).</summary>
    /// <exception cref="StudioInputException">The model is not in the models folder or cannot be loaded.</exception>
    Task<ModelDetails> GetModelDetailsAsync(string model, CancellationToken cancellationToken);

    /// <summary>Decodes an uploaded photo, enforcing the byte and pixel limits.</summary>
    /// <exception cref="StudioInputException">The file is too large or not a photo; the message names the file.</exception>
    Task<StudioPhoto> DecodePhotoAsync(string fileName, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Top predictions and the requested maps for one photo, computed with one forward pass on the torch thread.
    /// <paramref name="priority"/> lets interactive work go before scripted API calls.
    /// </summary>
    /// <exception cref="StudioInputException">Unknown model, method, class or layer.</exception>
    Task<PhotoExplanation> ExplainAsync(StudioPhoto photo, string model, ExplainRequest request, StudioPriority priority, CancellationToken cancellationToken);

    /// <summary>Colours a computed map over the photo (no CAM is recomputed). <paramref name="fullResolution"/> renders at the photo's own size instead of the display size.</summary>
    Task<byte[]> RenderOverlayPngAsync(StudioPhoto photo, CamMap map, OverlayStyle style, bool fullResolution, CancellationToken cancellationToken);

    /// <summary>A horizontal colour bar for a colormap, low values on the left.</summary>
    byte[] RenderColorBarPng(string colormap);

    /// <summary>A labelled grid of overlays (rows: classes, columns: methods) as one PNG.</summary>
    Task<byte[]> RenderSheetPngAsync(StudioPhoto photo, ComparisonLayout layout, OverlayStyle style, CancellationToken cancellationToken);

    /// <summary>The raw map as a NumPy .npy file (float32, shape height × width).</summary>
    byte[] EncodeNpy(CamMap map);
}

/// <summary>Interactive work (the studio's pages) goes before scripted work (the HTTP API).</summary>
public enum StudioPriority
{
    Interactive,
    Scripted,
}

/// <summary>The models folder and what it holds.</summary>
public sealed record ModelFolder(string Directory, IReadOnlyList<ModelEntry> Models, string? DefaultModel)
{
    public bool IsEmpty => Models.Count == 0;
}

/// <summary>A model registered in the models folder.</summary>
public sealed record ModelEntry(string Name, string Description);

/// <summary>What the pages need to know about a loaded model.</summary>
public sealed record ModelDetails(string Name, IReadOnlyList<string> Labels, IReadOnlyList<LayerInfo> Layers, string AutoLayer);

/// <summary>A CAM method: its id (as in <see cref="ExplainRequest.Methods"/>) and how the page shows it.</summary>
public sealed record CamMethodInfo(string Id, string DisplayName);

/// <summary>How a map is coloured: colormap, heatmap opacity in [0, 1], and the value range (null: the map's own).</summary>
public sealed record OverlayStyle(string Colormap, float Opacity, ValueRange? Range = null);

/// <summary>The cells of a comparison sheet, row-major: <c>Cells[row][column]</c>.</summary>
public sealed record ComparisonLayout(IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, IReadOnlyList<IReadOnlyList<CamMap>> Cells);

/// <summary>Upload limits: bytes per file, pixels per photo, photos per session.</summary>
public sealed record PhotoLimits(long MaxBytes, long MaxPixels, int MaxPhotos)
{
    public static PhotoLimits Default { get; } = new(32L * 1024 * 1024, CamStudio.Engine.Imaging.ImageLimits.DefaultMaxPixels, 12);
}

/// <summary>Bad input from a user or script (unknown model, unreadable photo, ...); the message says what was wrong.</summary>
public class StudioInputException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>Suggested HTTP status for the API (400, 404, 413 or 422).</summary>
    public int StatusCode { get; init; } = StatusCodes.Status400BadRequest;

    /// <summary>Short problem title for the API, e.g. "Unknown model".</summary>
    public string Title { get; init; } = "Bad request";
}
