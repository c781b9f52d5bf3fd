using System.Globalization;
using CamStudio.Engine.Imaging;

namespace CamStudio.Web.Models;

/// <summary>
/// A model to add as a front end received it: the model or weights file, an optional labels file, and the fields of
/// <c>camstudio models add</c> as text (parsed here, checked by the catalog).
/// </summary>
/// <param name="Architecture">A torchvision architecture for a weights file; null or empty for ONNX.</param>
/// <param name="Size">Square input side, empty: the model's own.</param>
/// <param name="Resize">"stretch" or "center-crop" (empty: stretch).</param>
/// <param name="Mean">Three comma-separated numbers (R,G,B), empty: ImageNet's.</param>
/// <param name="Std">Three comma-separated positive numbers, empty: ImageNet's.</param>
/// <param name="Replace">Replace a model of the same name (as <c>--force</c>).</param>
public sealed record ModelUpload(
    ModelUploadFile Model,
    ModelUploadFile? Labels,
    string? Name,
    string? Architecture,
    string? Size,
    string? Resize,
    string? Mean,
    string? Std,
    bool Replace)
{
    internal int? ParseSize()
    {
        if (string.IsNullOrWhiteSpace(Size))
            return null;
        return int.TryParse(Size.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int size)
            ? size
            : throw new ModelUploadException("size", $"The input size must be a whole number of pixels (e.g. 224), not '{Size}'.");
    }

    internal ResizeMode ParseResize()
    {
        if (string.IsNullOrWhiteSpace(Resize))
            return ResizeMode.Stretch;
        return Engine.Models.Catalog.ModelManifest.TryParseResize(Resize.Trim(), out ResizeMode mode)
            ? mode
            : throw new ModelUploadException("resize", $"The resize must be stretch or center-crop, not '{Resize}'.");
    }

    internal static float[]? ParseTriple(string field, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new ModelUploadException(field, $"The {field} needs 3 comma-separated numbers (R,G,B), not '{text}'.");
        }
        return values.Length == 3 ? values : throw new ModelUploadException(field, $"The {field} needs 3 comma-separated numbers (R,G,B), not '{text}'.");
    }
}

/// <summary>One uploaded file: its name as the browser gave it and a way to read it (at most the limit is read).</summary>
public sealed record ModelUploadFile(string FileName, Func<long, Stream> Open);

/// <summary>A model upload refused before the catalog saw it (a field that does not parse, a file too large).</summary>
public sealed class ModelUploadException(string field, string message) : Exception(message)
{
    /// <summary>The form field at fault: file, labels, name, architecture, size, resize, mean or std.</summary>
    public string Field { get; } = field;
}
