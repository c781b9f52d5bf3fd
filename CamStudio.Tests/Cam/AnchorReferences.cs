using System.Text.Json;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cam;

/// <summary>
/// The committed anchor references (CamStudio.Tests/References, written by scripts/anchor-references.py) and the
/// correlation the agreement tests use; a missing file fails loudly.
/// </summary>
internal static class AnchorReferences
{
    private static readonly Lazy<ReferenceManifest> Loaded = new(() =>
        JsonSerializer.Deserialize<ReferenceManifest>(File.ReadAllText(Repository.File("CamStudio.Tests/References/references.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
        ?? throw new InvalidDataException("CamStudio.Tests/References/references.json is empty."));

    public static ReferenceManifest Manifest => Loaded.Value;

    /// <summary>Little-endian float16 values.</summary>
    public static float[] Maps(string file)
    {
        byte[] bytes = File.ReadAllBytes(Repository.File($"CamStudio.Tests/References/{file}"));
        var values = new float[bytes.Length / 2];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)BitConverter.ToHalf(bytes, 2 * i);
        return values;
    }

    public static double Pearson(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double meanA = a.Average(v => (double)v), meanB = b.Average(v => (double)v);
        double covariance = 0, varianceA = 0, varianceB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            covariance += (a[i] - meanA) * (b[i] - meanB);
            varianceA += (a[i] - meanA) * (a[i] - meanA);
            varianceB += (b[i] - meanB) * (b[i] - meanB);
        }
        // Two flat maps agree; one flat map against a varying one does not.
        if (varianceA == 0 || varianceB == 0)
            return varianceA == varianceB ? 1 : 0;
        return covariance / Math.Sqrt(varianceA * varianceB);
    }

    public sealed record ReferenceManifest(string Layer, string[] Photos, int[] Classes, float[] SmoothNoiseFirstValues, float[] LogitsFirstValues,
        Dictionary<string, ReferenceMethod> Methods)
    {
        /// <summary>The request features' references (aug/eigen smoothing, fusion, guided, DFF).</summary>
        public Dictionary<string, ReferenceMethod> Features { get; init; } = [];
    }

    /// <param name="TopClasses">DFF only: per photo, each concept's best class through the head.</param>
    public sealed record ReferenceMethod(string File, string Library, int[] Shape, int[][]? TopClasses = null);
}
