using CamStudio.Engine.Models;

namespace CamStudio.Web.Jobs;

/// <summary>How the jobs form names and searches a model's layers (only spatial ones can be a job's layer).</summary>
internal static class JobLayers
{
    /// <summary>Layers a map can be taken from: batch × channels × height × width with more than one position.</summary>
    public static IEnumerable<LayerInfo> Spatial(IReadOnlyList<LayerInfo> layers) => layers.Where(l => l.IsSpatial);

    /// <summary>Where the layer sits: the module scope the exporter left in its name, else the name itself.</summary>
    public static string Scope(LayerInfo layer) => layer.Name;

    /// <summary>"scope · operator · shape", the text of an option and of the chosen layer.</summary>
    public static string Describe(LayerInfo layer) => $"{Scope(layer)} · {layer.Kind} · {layer.ShapeText}";

    /// <summary>
    /// "auto" first, then the spatial layers whose name, operator or shape contains every word of
    /// <paramref name="text"/> (any case; "7x7" finds 7×7), in execution order.
    /// </summary>
    public static IEnumerable<string> Search(IReadOnlyList<LayerInfo> layers, string? text)
    {
        string[] words = (text ?? "").Replace('x', '×').Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0 || "auto".StartsWith(words[0], StringComparison.OrdinalIgnoreCase) && words.Length == 1)
            yield return JobLayerPicker.AutoLayer;
        foreach (LayerInfo layer in Spatial(layers))
        {
            string haystack = $"{layer.Name} {Describe(layer)}";
            if (words.All(w => haystack.Contains(w, StringComparison.OrdinalIgnoreCase) || haystack.Contains(w.Replace('×', 'x'), StringComparison.OrdinalIgnoreCase)))
                yield return layer.Name;
        }
    }
}
