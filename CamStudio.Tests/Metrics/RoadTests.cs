using CamStudio.Engine.Metrics;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Metrics;

/// <summary>ROAD's noisy linear imputation against a hand-solved system, and its percentiles against numpy's rule.</summary>
[Collection(TorchCollection.Name)]
public sealed class RoadTests
{
    [Fact]
    public void ImputationOfTwoPixelsOfA3x3ImageSolvesTheHandWrittenSystem()
    {
        // Pixels v (row-major); the centre c = (1,1) and the top middle t = (0,1) are removed. Weights: 1/6 direct, 1/12 diagonal.
        double[] v = [0.2, 9, 0.8, -0.5, 9, 1.1, 0.3, 0.6, -0.9];
        // t has 5 in-image neighbours, weight sum 1/6+1/6+1/12+1/6+1/12 = 2/3; c has all 8 (sum 1).
        //   (2/3)·t − (1/6)·c = (1/6)(v00 + v02) + (1/12)(v10 + v12)
        //   −(1/6)·t + c      = (1/12)(v00 + v02 + v20 + v22) + (1/6)(v10 + v12 + v21)
        double b1 = (v[0] + v[2]) / 6 + (v[3] + v[5]) / 12;
        double b2 = (v[0] + v[2] + v[6] + v[8]) / 12 + (v[3] + v[5] + v[7]) / 6;
        double a11 = 2.0 / 3, a12 = -1.0 / 6, a21 = -1.0 / 6, a22 = 1;
        double det = a11 * a22 - a12 * a21;
        double t = (b1 * a22 - a12 * b2) / det, c = (a11 * b2 - a21 * b1) / det;

        long live = LiveTensors.OnThisThread();
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            Tensor image = torch.tensor(v.Select(x => (float)x).ToArray()).reshape(1, 1, 3, 3);
            Tensor known = torch.tensor(new float[] { 1, 0, 1, 1, 0, 1, 1, 1, 1 }).reshape(1, 1, 3, 3);
            float[] imputed = NoisyLinearImputation.Impute(image, known, generator: null).data<float>().ToArray();
            Assert.Equal(t, imputed[1], 1e-5);
            Assert.Equal(c, imputed[4], 1e-5);
            foreach (int i in new[] { 0, 2, 3, 5, 6, 7, 8 })
                Assert.Equal(v[i], imputed[i], 1e-6);
        }
        Assert.Equal(live, LiveTensors.OnThisThread());
    }

    [Fact]
    public void ImputationOfALargeHoleSatisfiesEveryEquation()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        int n = 64;
        var generator = new torch.Generator(5, torch.CPU);
        Tensor image = torch.rand([1, 1, n, n], generator: generator);
        float[] keep = new float[n * n];
        for (int i = 0; i < keep.Length; i++)
            keep[i] = (i / n - 32) * (i / n - 32) + (i % n - 30) * (i % n - 30) < 400 ? 0 : 1; // a disc of radius 20 removed
        Tensor known = torch.tensor(keep).reshape(1, 1, n, n);
        float[] x = NoisyLinearImputation.Impute(image, known, null).data<float>().ToArray();
        double worst = WorstEquationError(x, keep, n, n);
        Assert.True(worst < 1e-4, $"largest equation error {worst}");
    }

    [Fact]
    public void ImputationOfManyMasksOnAnOddSizedImageSatisfiesEveryEquationAndAFullyRemovedImageIsZero()
    {
        // ROAD's case: one photo, masks at several percentiles of a smooth map, on a grid of odd sides (the multigrid's
        // 2×2 blocks do not tile it), and a mask that removes everything (no data: zero, no NaN).
        long live = LiveTensors.OnThisThread();
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            int h = 75, w = 53, channels = 2;
            var generator = new torch.Generator(11, torch.CPU);
            Tensor image = torch.rand([1, channels, h, w], generator: generator);
            Tensor map = nn.functional.interpolate(torch.rand([1, 1, 5, 4], generator: generator), [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
            float[] mapValues = map.data<float>().ToArray();
            double[] thresholds = [.. new[] { 10, 50, 90 }.Select(q => Road.Percentile(mapValues, q))];
            var masks = thresholds.Select(t => mapValues.Select(v => v < t ? 1f : 0f).ToArray()).Append(new float[h * w]).ToList();
            Tensor known = torch.tensor(masks.SelectMany(m => m).ToArray()).reshape(masks.Count, 1, h, w);
            Tensor imputed = NoisyLinearImputation.Impute(image.expand(masks.Count, -1, -1, -1), known, null);
            for (int m = 0; m < masks.Count; m++)
                for (int c = 0; c < channels; c++)
                {
                    float[] x = imputed[m, c].data<float>().ToArray();
                    if (m < thresholds.Length)
                        Assert.True(WorstEquationError(x, masks[m], h, w) < 1e-4, $"mask {m}, channel {c}: largest equation error {WorstEquationError(x, masks[m], h, w)}");
                    else
                        Assert.All(x, v => Assert.Equal(0f, v));
                }
        }
        Assert.Equal(live, LiveTensors.OnThisThread());
    }

    /// <summary>How far the worst removed pixel is from the weighted mean of its in-image neighbours (the paper's equation).</summary>
    private static double WorstEquationError(float[] x, float[] keep, int h, int w)
    {
        double worst = 0;
        for (int y = 0; y < h; y++)
            for (int col = 0; col < w; col++)
            {
                if (keep[y * w + col] > 0)
                    continue;
                double sum = 0, weights = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        if ((dx == 0 && dy == 0) || y + dy < 0 || y + dy >= h || col + dx < 0 || col + dx >= w)
                            continue;
                        double weight = dx == 0 || dy == 0 ? 1.0 / 6 : 1.0 / 12;
                        sum += weight * x[(y + dy) * w + col + dx];
                        weights += weight;
                    }
                worst = Math.Max(worst, Math.Abs(x[y * w + col] - sum / weights));
            }
        return worst;
    }

    [Fact]
    public void PercentilesInterpolateAsNumpyDoes()
    {
        float[] values = [4, 1, 3, 2, 5];
        Assert.Equal(1.4, Road.Percentile(values, 10), 1e-6); // (5−1)·0.1 = 0.4 → 1 + 0.4
        Assert.Equal(3, Road.Percentile(values, 50), 1e-6);
        Assert.Equal(4.6, Road.Percentile(values, 90), 1e-6);
    }

    [Fact]
    public void RoadScoresAreMeanProbabilityChangesOverThePercentiles()
    {
        // On the toy model with all-zero input the imputation of zeros is zero (plus noise), so every p stays near σ(0).
        float[] weights = Enumerable.Range(0, 16).Select(i => 0.1f * (i - 8)).ToArray();
        using ModuleCamModel model = ToyModels.Linear4x4(weights);
        using DisposeScope scope = torch.NewDisposeScope();
        double[] zeros = new double[16];
        Tensor input = ToyModels.Input(zeros);
        float[] map = Enumerable.Range(0, 16).Select(i => i / 15f).ToArray();
        (double morf, double lerf, double combined) = Road.Compute(ToyModels.Scorer(model), input, map, 0, 0.5, seed: 3);
        Assert.InRange(morf, -0.02, 0.02);
        Assert.InRange(lerf, -0.02, 0.02);
        Assert.Equal((lerf - morf) / 2, combined, 12);
    }
}
