using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// A 256-entry RGB lookup table that colours values in [0, 1]. Entry i is the colormap's definition evaluated
/// at i / 255; a value t picks entry ⌊256·t⌋ clamped to 255 (matplotlib's lookup rule).
/// </summary>
public sealed class Colormap
{
    public const int Size = 256;

    private readonly Rgb24[] _table;

    private Colormap(string name, Func<double, (double R, double G, double B)> definition)
    {
        Name = name;
        _table = new Rgb24[Size];
        for (int i = 0; i < Size; i++)
        {
            (double r, double g, double b) = definition(i / (double)(Size - 1));
            _table[i] = new Rgb24(ToByte(r), ToByte(g), ToByte(b));
        }
    }

    /// <summary>matplotlib's jet (the default: what most CAM papers and pytorch-grad-cam show).</summary>
    public static Colormap Jet { get; } = new("jet", ColormapDefinitions.Jet);

    /// <summary>Google's Turbo, an improved rainbow.</summary>
    public static Colormap Turbo { get; } = new("turbo", ColormapDefinitions.Turbo);

    /// <summary>matplotlib's viridis (perceptually uniform).</summary>
    public static Colormap Viridis { get; } = new("viridis", ColormapDefinitions.Viridis);

    /// <summary>matplotlib's inferno (perceptually uniform, black to pale yellow).</summary>
    public static Colormap Inferno { get; } = new("inferno", ColormapDefinitions.Inferno);

    /// <summary>Black (0) to white (1).</summary>
    public static Colormap Gray { get; } = new("gray", t => (t, t, t));

    public static IReadOnlyList<Colormap> All { get; } = [Jet, Turbo, Viridis, Inferno, Gray];

    /// <summary>Lower-case name: jet, turbo, viridis, inferno or gray.</summary>
    public string Name { get; }

    public ReadOnlySpan<Rgb24> Table => _table;

    /// <summary>The colour of <paramref name="t"/> in [0, 1] (clamped; NaN is treated as 0).</summary>
    public Rgb24 this[float t] => _table[Index(t)];

    /// <summary>The lookup index of <paramref name="t"/>: ⌊256·t⌋ clamped to [0, 255], NaN → 0.</summary>
    public static int Index(float t)
    {
        if (!(t > 0f))
            return 0;
        int i = (int)(t * Size);
        return i >= Size ? Size - 1 : i;
    }

    /// <summary>Parses a name case-insensitively ("jet", "Turbo", "grey" too).</summary>
    public static Colormap Parse(string name)
    {
        if (TryParse(name, out Colormap? colormap))
            return colormap;
        throw new ArgumentException(
            $"Unknown colormap '{name}'. Valid colormaps: {string.Join(", ", All.Select(c => c.Name))}.", nameof(name));
    }

    public static bool TryParse(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Colormap? colormap)
    {
        string key = name?.Trim().ToLowerInvariant() ?? "";
        if (key == "grey")
            key = "gray";
        colormap = All.FirstOrDefault(c => c.Name == key);
        return colormap is not null;
    }

    public override string ToString() => Name;

    private static byte ToByte(double v) => (byte)Math.Round(Math.Clamp(v, 0.0, 1.0) * 255.0);
}
