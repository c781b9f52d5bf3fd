namespace CamStudio.Engine.Metrics;

/// <summary>
/// SSIM (Wang et al., "Image Quality Assessment: From Error Visibility to Structural Similarity", IEEE TIP 2004) of two
/// maps in [0, 1]: 11×11 Gaussian window (σ = 1.5), C1 = 0.01², C2 = 0.03², the mean over every window that fits.
/// </summary>
public static class StructuralSimilarity
{
    private const int Window = 11;
    private const double Sigma = 1.5, C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;

    /// <summary>Mean SSIM of <paramref name="a"/> and <paramref name="b"/> (width × height, row-major).</summary>
    public static double Compute(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int width, int height)
    {
        if (a.Length != width * height || b.Length != a.Length)
            throw new ArgumentException($"SSIM needs two {width}×{height} maps.");
        int win = Math.Min(Window, Math.Min(width, height));
        double[] g = Gaussian(win);
        double[] ma = Filter(a.ToArray().Select(v => (double)v).ToArray(), width, height, g);
        double[] mb = Filter(b.ToArray().Select(v => (double)v).ToArray(), width, height, g);
        var aa = new double[a.Length];
        var bb = new double[a.Length];
        var ab = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            aa[i] = (double)a[i] * a[i];
            bb[i] = (double)b[i] * b[i];
            ab[i] = (double)a[i] * b[i];
        }
        double[] saa = Filter(aa, width, height, g), sbb = Filter(bb, width, height, g), sab = Filter(ab, width, height, g);
        double sum = 0;
        for (int i = 0; i < ma.Length; i++)
        {
            double va = saa[i] - ma[i] * ma[i], vb = sbb[i] - mb[i] * mb[i], cov = sab[i] - ma[i] * mb[i];
            sum += (2 * ma[i] * mb[i] + C1) * (2 * cov + C2) / ((ma[i] * ma[i] + mb[i] * mb[i] + C1) * (va + vb + C2));
        }
        return sum / ma.Length;
    }

    private static double[] Gaussian(int size)
    {
        double[] g = Enumerable.Range(0, size).Select(i => Math.Exp(-Math.Pow(i - (size - 1) / 2.0, 2) / (2 * Sigma * Sigma))).ToArray();
        double total = g.Sum();
        return g.Select(v => v / total).ToArray();
    }

    /// <summary>Weighted window means at every position where the whole window fits ("valid"), separably.</summary>
    private static double[] Filter(double[] x, int width, int height, double[] g)
    {
        int k = g.Length, ow = width - k + 1, oh = height - k + 1;
        var rows = new double[height * ow];
        for (int y = 0; y < height; y++)
            for (int x0 = 0; x0 < ow; x0++)
            {
                double s = 0;
                for (int i = 0; i < k; i++)
                    s += g[i] * x[y * width + x0 + i];
                rows[y * ow + x0] = s;
            }
        var result = new double[oh * ow];
        for (int y0 = 0; y0 < oh; y0++)
            for (int x0 = 0; x0 < ow; x0++)
            {
                double s = 0;
                for (int i = 0; i < k; i++)
                    s += g[i] * rows[(y0 + i) * ow + x0];
                result[y0 * ow + x0] = s;
            }
        return result;
    }
}
