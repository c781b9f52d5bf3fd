namespace CamStudio.Engine.Metrics;

/// <summary>Spearman's rank correlation: Pearson's correlation of the ranks, tied values sharing their mean rank.</summary>
public static class RankCorrelation
{
    /// <summary>ρ of <paramref name="a"/> and <paramref name="b"/>; 0 when either is constant (a flat map carries no ranking to agree with).</summary>
    public static double Spearman(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
            throw new ArgumentException($"Rank correlation needs two maps of one size, got {a.Length} and {b.Length} values.");
        double[] ra = Ranks(a), rb = Ranks(b);
        double ma = ra.Average(), mb = rb.Average();
        double cov = 0, va = 0, vb = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            cov += (ra[i] - ma) * (rb[i] - mb);
            va += (ra[i] - ma) * (ra[i] - ma);
            vb += (rb[i] - mb) * (rb[i] - mb);
        }
        return va <= 0 || vb <= 0 ? 0 : cov / Math.Sqrt(va * vb);
    }

    /// <summary>Ranks from 1, ties averaged.</summary>
    public static double[] Ranks(ReadOnlySpan<float> values)
    {
        int n = values.Length;
        int[] order = Enumerable.Range(0, n).ToArray();
        float[] keys = values.ToArray();
        Array.Sort(keys.ToArray(), order);
        var ranks = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && keys[order[j + 1]] == keys[order[i]])
                j++;
            double mean = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
                ranks[order[k]] = mean;
            i = j + 1;
        }
        return ranks;
    }
}
