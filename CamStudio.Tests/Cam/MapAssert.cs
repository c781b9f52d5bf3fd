namespace CamStudio.Tests.Cam;

internal static class MapAssert
{
    /// <summary>Every |expected − actual| ≤ tolerance · max(1, max |expected|).</summary>
    public static void Close(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance, string what = "map")
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = Math.Max(1.0, expected.Max(v => Math.Abs((double)v)));
        for (int i = 0; i < expected.Count; i++)
        {
            double difference = Math.Abs((double)expected[i] - actual[i]);
            Assert.True(difference <= tolerance * scale,
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {difference:E2}, tolerance {tolerance * scale:E2})");
        }
    }

    /// <summary>Min-max normalisation written out here, independent of CamMap.</summary>
    public static float[] MinMax(IReadOnlyList<float> values)
    {
        float min = values.Min(), max = values.Max();
        return values.Select(v => max > min ? (v - min) / (max - min) : 0f).ToArray();
    }
}
