using CamStudio.Engine.Metrics;

namespace CamStudio.Tests.Metrics;

/// <summary>Pointing games on maps with known peaks; Spearman and SSIM against hand values.</summary>
public sealed class PointingAndCorrelationTests
{
    [Fact]
    public void PointingHitsWhenThePeakIsInTheBoxAndEnergyIsTheShareInside()
    {
        // 4×3 map, peak 9 at (x 2, y 1).
        float[] map = [0, 1, 0, 0, 1, 2, 9, 1, 0, 0, 1, 1];
        (bool hit, double energy) = PointingGame.Compute(map, 4, 3, new InputBox(2, 0, 4, 2));
        Assert.True(hit);
        Assert.Equal((0 + 0 + 9 + 1) / 16.0, energy, 12);
        (bool miss, double other) = PointingGame.Compute(map, 4, 3, new InputBox(0, 0, 2, 3));
        Assert.False(miss);
        Assert.Equal((0 + 1 + 1 + 2 + 0 + 0) / 16.0, other, 12);
    }

    [Fact]
    public void SpearmanAveragesTiedRanks()
    {
        // a's ranks: 1, 2.5, 2.5, 4; b's: 4, 3, 2, 1 → ρ by the Pearson formula on ranks = −0.9486833.
        float[] a = [1, 2, 2, 3];
        float[] b = [9, 5, 4, 1];
        Assert.Equal(new[] { 1, 2.5, 2.5, 4 }, RankCorrelation.Ranks(a));
        Assert.Equal(-3 / Math.Sqrt(10), RankCorrelation.Spearman(a, b), 1e-9);
        Assert.Equal(1, RankCorrelation.Spearman(b, b), 12);
        Assert.Equal(0, RankCorrelation.Spearman(a, [2, 2, 2, 2]));
    }

    [Fact]
    public void SsimIsOneForEqualMapsAndMatchesTheFormulaForConstantOnes()
    {
        float[] x = Enumerable.Range(0, 256).Select(i => (i * 37 % 101) / 100f).ToArray();
        Assert.Equal(1, StructuralSimilarity.Compute(x, x, 16, 16), 1e-9);
        // Two constant maps a, b: variances 0, so SSIM = (2ab + C1) / (a² + b² + C1) in every window.
        float[] a = Enumerable.Repeat(0.2f, 256).ToArray(), b = Enumerable.Repeat(0.7f, 256).ToArray();
        double c1 = 1e-4;
        Assert.Equal((2 * 0.2 * 0.7 + c1) / (0.04 + 0.49 + c1), StructuralSimilarity.Compute(a, b, 16, 16), 1e-5);
    }

    [Fact]
    public void BaselineCentreIsAGaussianOfAQuarterSide()
    {
        float[] centre = BaselineMaps.Centre(8, 8);
        // At (3.5 ± 0.5, 3.5 ± 0.5) the maximum 1 (normalised); σ = 2: value at (0, 3) relative to the peak.
        double peak = Math.Exp(-(0.25 / 8 + 0.25 / 8));
        double corner = Math.Exp(-(3.5 * 3.5 / 8 + 3.5 * 3.5 / 8));
        double at03 = Math.Exp(-(3.5 * 3.5 / 8 + 0.25 / 8));
        Assert.Equal((at03 - corner) / (peak - corner), centre[3 * 8 + 0], 1e-5);
        Assert.Equal(1, centre.Max(), 1e-6);
    }
}
