using CamStudio.Engine.Maps;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// The one .npy contract of CamStudio, and its one writer: <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.npy</c> is the
/// float32 map at the model input's resolution, min-max normalised to [0, 1]; <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.raw.npy</c>
/// is the raw map at the layer's resolution (the method's own values, for putting maps on one scale later).
/// </summary>
public static class MapFiles
{
    /// <summary>The normalised map's file name, e.g. "cat.gradcam.281.npy".</summary>
    public static string NormalisedName(string stem, string method, int classIndex) => $"{stem}.{method}.{classIndex}.npy";

    /// <summary>The raw map's file name, e.g. "cat.gradcam.281.raw.npy".</summary>
    public static string RawName(string stem, string method, int classIndex) => $"{stem}.{method}.{classIndex}.raw.npy";

    /// <summary>The map upsampled bilinearly to the model's input (<see cref="PlacedMap.InputWidth"/>×<see cref="PlacedMap.InputHeight"/>), not normalised.</summary>
    public static CamMap AtInput(PlacedMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new CamMap(map.InputWidth, map.InputHeight, MapResampler.Resize(map.Map, map.InputWidth, map.InputHeight));
    }

    /// <summary>
    /// The normalised .npy's values: <see cref="AtInput"/> min-max normalised on its own range, or on
    /// <paramref name="range"/> (a range shared by several maps at input resolution, see <see cref="ValueRange.Shared"/>).
    /// </summary>
    public static float[] Normalised(PlacedMap map, ValueRange? range = null) => AtInput(map).Normalised(range);

    /// <summary>The normalised .npy file's bytes.</summary>
    public static byte[] NormalisedNpy(PlacedMap map, ValueRange? range = null) =>
        NpyFormat.ToBytes(Normalised(map, range), [map.InputHeight, map.InputWidth]);

    /// <summary>The raw .npy file's bytes (layer resolution, the method's values).</summary>
    public static byte[] RawNpy(PlacedMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return NpyFormat.ToBytes(map.Map.Raw, [map.Map.Height, map.Map.Width]);
    }

    /// <summary>Writes both files into <paramref name="directory"/>; returns their names (normalised, raw).</summary>
    public static (string Normalised, string Raw) Write(string directory, string stem, string method, int classIndex, PlacedMap map,
        ValueRange? range = null)
    {
        string normalised = NormalisedName(stem, method, classIndex), raw = RawName(stem, method, classIndex);
        File.WriteAllBytes(Path.Combine(directory, normalised), NormalisedNpy(map, range));
        File.WriteAllBytes(Path.Combine(directory, raw), RawNpy(map));
        return (normalised, raw);
    }
}
