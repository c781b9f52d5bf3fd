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

    /// <summary>PyTorch's bilinear resize with align_corners = false, written out.</summary>
    public static float[] BilinearUpsample(float[] source, int height, int width, int outHeight, int outWidth)
    {
        var result = new float[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
        {
            double sy = Math.Max(0, (y + 0.5) * height / outHeight - 0.5);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, height - 1);
            double fy = sy - y0;
            for (int x = 0; x < outWidth; x++)
            {
                double sx = Math.Max(0, (x + 0.5) * width / outWidth - 0.5);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, width - 1);
                double fx = sx - x0;
                result[y * outWidth + x] = (float)(
                    (1 - fy) * ((1 - fx) * source[y0 * width + x0] + fx * source[y0 * width + x1]) +
                    fy * ((1 - fx) * source[y1 * width + x0] + fx * source[y1 * width + x1]));
            }
        }
        return result;
    }
}
