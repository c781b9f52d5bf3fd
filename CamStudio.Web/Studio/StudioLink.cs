using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;

namespace CamStudio.Web.Studio;

/// <summary>
/// The explorer's state as a URL query (<c>/?img=…&amp;model=…&amp;method=…</c>), so back/forward, a reload and a
/// shared link bring it back. The photo travels by id: it reopens in the browser session that uploaded it
/// (<see cref="StudioPhotoStore"/>); anyone else gets the settings. Unknown or malformed values are dropped, never
/// trusted: the page checks each against what the engine offers.
/// </summary>
public sealed record StudioLink(
    Guid? Photo = null,
    string? Model = null,
    string? Method = null,
    string? Layer = null,
    int? Class = null,
    string? Colormap = null,
    double? Opacity = null,
    int Tab = 0,
    IReadOnlyList<int>? GridClasses = null,
    IReadOnlyList<string>? GridMethods = null,
    bool SharedScale = false,
    IReadOnlyList<string>? FusedLayers = null,
    string? Fuse = null,
    bool AugSmooth = false,
    bool EigenSmooth = false,
    bool Guided = false,
    int? Concepts = null)
{
    private const int MaxListItems = 16;
    private const int MaxFusedLayers = 7;
    private const int MaxConcepts = 16;

    /// <summary>The query string, starting with '?' (empty for the default state).</summary>
    public string ToQuery()
    {
        var parts = new List<(string Key, string Value)>();
        if (Photo is { } photo)
            parts.Add(("img", photo.ToString("N")));
        Add(parts, "model", Model);
        Add(parts, "method", Method);
        Add(parts, "layer", Layer);
        if (Class is { } c)
            parts.Add(("class", c.ToString(CultureInfo.InvariantCulture)));
        Add(parts, "cmap", Colormap);
        if (Opacity is { } o)
            parts.Add(("opacity", o.ToString("0.##", CultureInfo.InvariantCulture)));
        if (Tab != 0)
            parts.Add(("tab", Tab switch { 1 => "grid", 2 => "concepts", 3 => "trust", _ => "explore" }));
        if (GridClasses is { Count: > 0 } classes)
            parts.Add(("gc", string.Join(",", classes.Select(i => i.ToString(CultureInfo.InvariantCulture)))));
        if (GridMethods is { Count: > 0 } methods)
            parts.Add(("gm", string.Join(",", methods)));
        if (SharedScale)
            parts.Add(("scale", "method"));
        if (FusedLayers is { Count: > 0 } fused)
            parts.Add(("fl", string.Join(",", fused)));
        Add(parts, "fuse", Fuse);
        if (AugSmooth)
            parts.Add(("aug", "1"));
        if (EigenSmooth)
            parts.Add(("eigen", "1"));
        if (Guided)
            parts.Add(("guided", "1"));
        if (Concepts is { } k)
            parts.Add(("k", k.ToString(CultureInfo.InvariantCulture)));
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts.Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value)}"));
    }

    /// <summary>Reads a query string (with or without '?'); what cannot be read is left out.</summary>
    public static StudioLink Parse(string? query)
    {
        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> q = QueryHelpers.ParseQuery(query);
        string? Get(string key) => q.TryGetValue(key, out var v) && v.Count > 0 && !string.IsNullOrWhiteSpace(v[0]) && v[0]!.Length <= 200 ? v[0] : null;
        int? Int(string? text) => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) && i >= 0 ? i : null;
        double? opacity = double.TryParse(Get("opacity"), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d is >= 0 and <= 1 ? d : null;
        return new StudioLink(
            Guid.TryParseExact(Get("img") ?? "", "N", out Guid photo) ? photo : null,
            Get("model"),
            Get("method"),
            Get("layer"),
            Int(Get("class")),
            Get("cmap"),
            opacity,
            Get("tab") switch { "grid" => 1, "concepts" => 2, "trust" => 3, _ => 0 },
            (Get("gc") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Int).OfType<int>().Distinct().Take(MaxListItems).ToList(),
            (Get("gm") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Distinct().Take(MaxListItems).ToList(),
            Get("scale") == "method",
            (Get("fl") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Take(MaxFusedLayers).ToList(),
            Get("fuse") is { } fuse && StudioFeatures.Fusions.Contains(fuse) ? fuse : null,
            Get("aug") == "1",
            Get("eigen") == "1",
            Get("guided") == "1",
            Int(Get("k")) is { } k and >= 1 and <= MaxConcepts ? k : null);
    }

    /// <summary>The link's request features (layers not checked here: the page and the engine check them).</summary>
    public StudioFeatures Features() => new()
    {
        FusedLayers = FusedLayers ?? [],
        Fuse = Fuse ?? StudioFeatures.Fusions[0],
        AugSmooth = AugSmooth,
        EigenSmooth = EigenSmooth,
        Guided = Guided,
    };

    private static void Add(List<(string, string)> parts, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
            parts.Add((key, value));
    }
}
