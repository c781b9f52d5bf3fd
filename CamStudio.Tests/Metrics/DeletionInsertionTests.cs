using CamStudio.Engine.Metrics;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Metrics;

/// <summary>Deletion and insertion on the 4×4 toy model, against curves worked out from σ(Σ w x) position by position.</summary>
[Collection(TorchCollection.Name)]
public sealed class DeletionInsertionTests
{
    private static readonly float[] Weights = [0.9f, -0.4f, 0.3f, 1.2f, 0.1f, 0.5f, -0.7f, 0.2f, 0.6f, -0.1f, 0.8f, 0.05f, -0.3f, 0.4f, 0.7f, -0.6f];
    private static readonly double[] Values = [1.0, 0.5, -0.25, 2.0, 0.75, -1.0, 1.5, 0.3, -0.6, 1.1, 0.2, 0.9, -0.4, 0.8, 1.3, -0.7];

    // Ties (0.5 at positions 1, 6 and 9) must keep row-major order: ranked 1, 6, 9.
    private static readonly float[] Map = [0.9f, 0.5f, 0.1f, 1.0f, 0.3f, 0.0f, 0.5f, 0.2f, 0.7f, 0.5f, 0.8f, 0.05f, 0.6f, 0.4f, 0.95f, 0.15f];

    [Fact]
    public void CountsFollowTorchCamsStepRule()
    {
        Assert.Equal([0, 4, 8, 12, 16], DeletionInsertion.Counts(16, 4));
        Assert.Equal([0, 3, 6, 9, 12, 15, 16], DeletionInsertion.Counts(16, 6)); // step ⌈16/6⌉ = 3
        Assert.Equal(Enumerable.Range(0, 17).ToArray(), DeletionInsertion.Counts(16, 100)); // step 1
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void CurvesAndAucsMatchTheClosedForm(int steps)
    {
        long live = LiveTensors.OnThisThread();
        using (ModuleCamModel model = ToyModels.Linear4x4(Weights))
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            Tensor input = ToyModels.Input(Values);
            Tensor baseline = torch.zeros_like(input);
            double p = ToyModels.P0(Weights, Values);
            var c = DeletionInsertion.Compute(ToyModels.Scorer(model), input, baseline, Map, 0, p, steps);

            // Reference: the order by hand (highest first, ties row-major), then σ of the surviving terms.
            int[] order = [3, 14, 0, 10, 8, 12, 1, 6, 9, 13, 4, 7, 15, 2, 11, 5];
            int step = (16 + steps - 1) / steps;
            var counts = new List<int>();
            for (int k = 0; k < 16; k += step)
                counts.Add(k);
            counts.Add(16);
            double[] deletion = counts.Select(k => ToyModels.P0(Weights, Values.Select((v, i) => order.Take(k).Contains(i) ? 0 : v).ToArray())).ToArray();
            double[] insertion = counts.Select(k => ToyModels.P0(Weights, Values.Select((v, i) => order.Take(k).Contains(i) ? v : 0).ToArray())).ToArray();
            double[] x = counts.Select(k => k / 16.0).ToArray();
            double deletionAuc = 0, insertionAuc = 0;
            for (int i = 1; i < x.Length; i++)
            {
                deletionAuc += (x[i] - x[i - 1]) * (deletion[i] + deletion[i - 1]) / 2;
                insertionAuc += (x[i] - x[i - 1]) * (insertion[i] + insertion[i - 1]) / 2;
            }
            Assert.Equal(x, c.Fractions);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.Equal(deletion[i], c.Deletion[i], 1e-5);
                Assert.Equal(insertion[i], c.Insertion[i], 1e-5);
            }
            Assert.Equal(deletionAuc, c.DeletionAuc, 1e-5);
            Assert.Equal(insertionAuc, c.InsertionAuc, 1e-5);
            Assert.Equal(0.5, c.Deletion[^1], 1e-6); // all zeros: σ(0)
        }
        Assert.Equal(live, LiveTensors.OnThisThread());
    }

    [Fact]
    public void AverageDropAndIncreaseMatchTheMaskedProbabilities()
    {
        using ModuleCamModel model = ToyModels.Linear4x4(Weights);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor input = ToyModels.Input(Values);
        double p = ToyModels.P0(Weights, Values);
        double masked = ToyModels.P0(Weights, Values.Select((v, i) => v * Map[i]).ToArray());
        (double drop, bool increase) = ConfidenceChange.Compute(ToyModels.Scorer(model), input, Map, 0, p);
        Assert.Equal(Math.Max(0, p - masked) / p, drop, 1e-5);
        Assert.Equal(masked > p, increase);

        // A map that keeps only the positive evidence raises p: increase, no drop.
        float[] positive = Weights.Select((w, i) => w * Values[i] > 0 ? 1f : 0f).ToArray();
        double raised = ToyModels.P0(Weights, Values.Select((v, i) => v * positive[i]).ToArray());
        Assert.True(raised > p);
        (double noDrop, bool increased) = ConfidenceChange.Compute(ToyModels.Scorer(model), input, positive, 0, p);
        Assert.Equal(0, noDrop, 1e-9);
        Assert.True(increased);
    }

    [Fact]
    public void BlurAndMeanBaselinesAreWhatTheySay()
    {
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor input = torch.arange(3 * 16 * 16, dtype: ScalarType.Float32).reshape(1, 3, 16, 16) / 100;
        Tensor mean = PerturbationBaselines.For(input, PerturbationBaseline.Mean);
        Assert.Equal(input[0, 1].mean().item<float>(), mean[0, 1, 5, 7].item<float>(), 1e-5);
        // A linear ramp is unchanged by a symmetric blur away from the edges.
        Tensor blur = PerturbationBaselines.For(input, PerturbationBaseline.Blur);
        Assert.Equal(input[0, 2, 8, 8].item<float>(), blur[0, 2, 8, 8].item<float>(), 1e-4);
        Assert.Equal(input.shape, blur.shape);
    }
}
