using CamStudio.Engine.Metrics;

namespace CamStudio.Tests.Metrics;

/// <summary>The ranking deletion and insertion perturb in, against LINQ's stable sort by <see cref="float.CompareTo(float)"/>.</summary>
public sealed class MapRankingTests
{
    /// <summary>The reference: LINQ's OrderByDescending is a stable sort, so equal values keep row-major order.</summary>
    private static int[] ReferenceRanks(float[] map)
    {
        int[] order = Enumerable.Range(0, map.Length).OrderByDescending(i => map[i]).ToArray();
        int[] ranks = new int[map.Length];
        for (int r = 0; r < order.Length; r++)
            ranks[order[r]] = r;
        return ranks;
    }

    [Fact]
    public void TiesKeepRowMajorOrderAndTheHighestRanksFirst()
    {
        float[] map = [0.5f, 1f, 0.5f, 0f, 1f];
        Assert.Equal([2, 0, 3, 4, 1], MapRanking.Ranks(map));
    }

    [Fact]
    public void NegativesZerosNaNAndInfinitiesRankAsCompareToOrdersThem()
    {
        float[] map = [-0f, 0f, float.NaN, -1.5f, float.PositiveInfinity, float.NegativeInfinity, 2.5f, -0f, float.Epsilon, -float.Epsilon];
        Assert.Equal(ReferenceRanks(map), MapRanking.Ranks(map));
    }

    [Fact]
    public void ALargeMapWithManyTiesRanksAsTheStableReference()
    {
        var random = new Random(10);
        // 224² positions with values on a coarse grid, so most positions tie with many others (as flat map regions do).
        float[] map = Enumerable.Range(0, 224 * 224).Select(_ => MathF.Round((float)random.NextDouble() * 50) / 50 - 0.3f).ToArray();
        Assert.Equal(ReferenceRanks(map), MapRanking.Ranks(map));
    }
}
