namespace CamStudio.Engine.Metrics;

/// <summary>Positions of a map ranked highest first, ties in row-major order (a stable sort, as TorchCAM's).</summary>
public static class MapRanking
{
    /// <summary>rank[i] = place of position i when sorted by value, highest first (0 = the highest).</summary>
    public static int[] Ranks(ReadOnlySpan<float> map)
    {
        int[] order = new int[map.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        float[] keys = map.ToArray();
        // Array.Sort is not stable: break ties on the index so equal values keep row-major order.
        Array.Sort(order, (a, b) =>
        {
            int c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        int[] ranks = new int[map.Length];
        for (int r = 0; r < order.Length; r++)
            ranks[order[r]] = r;
        return ranks;
    }
}
