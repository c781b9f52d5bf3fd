
namespace CamStudio.Engine.Models;

/// <summary>Resolves layer names ("auto" or a capturable layer) and words the error for an unknown one.</summary>
public static class LayerNames
{
    public const string Auto = "auto";

    /// <summary>"auto" → the model's auto layer; a known layer → itself; anything else → an error naming the closest layers.</summary>
    public static string Resolve(ICamModel model, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        if (string.Equals(layer, Auto, StringComparison.OrdinalIgnoreCase))
            return model.AutoLayer;
        foreach (LayerInfo info in model.Layers)
        {
            if (info.Name == layer)
                return layer;
        }
        throw new ArgumentException(UnknownLayerMessage(model.Name, layer, model.Layers));
    }

    /// <summary>An error message for a layer name the model does not have, listing the closest capturable names.</summary>
    public static string UnknownLayerMessage(string modelName, string layer, IReadOnlyList<LayerInfo> layers)
    {
        const int shown = 8;
        // A CAM needs a spatial layer: suggest only those (a model without any keeps the full list).
        IEnumerable<LayerInfo> candidates = layers.Any(l => l.IsSpatial) ? layers.Where(l => l.IsSpatial) : layers;
        var closest = candidates
            .Select(l => (l.Name, Distance: EditDistance(layer, l.Name)))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name.Length)
            .Take(shown)
            .Select(c => c.Name);
        return $"Model '{modelName}' has no capturable layer '{layer}'. Closest of its {layers.Count} layers: " +
               $"{string.Join(", ", closest)} (or \"{Auto}\").";
    }

    /// <summary>Levenshtein distance, ignoring case: how near a mistyped name is (layer names, and class names when a class is looked up).</summary>
    internal static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
