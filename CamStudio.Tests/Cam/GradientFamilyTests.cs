using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Methods;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>
/// The rest of the gradient family (issue 12) against closed forms on a GAP + linear model, a model whose head squares
/// the activation (so the Hessian is not zero), and the papers' formulas written out here in plain arrays.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class GradientFamilyTests
{
    private const int Photos = 2;
    private const int ExplainedClass = 3;
    private const int Positions = 36;   // relu2 is 6×6 on a 12×12 input

    [Fact]
    public void GradCamElementWiseOfGapLinearModelClipsEachChannelsProductBeforeTheSum()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 31);
        float[][][] a = TinyCnn.Features(model, batch);
        float[] g = GapLinearGradient(model);

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "gradcam-elementwise");

        for (int n = 0; n < Photos; n++)
        {
            var expected = new float[Positions];
            for (int k = 0; k < TinyCnn.Channels; k++)
                for (int p = 0; p < Positions; p++)
                    expected[p] += Math.Max(g[k] * a[n][k][p], 0f);
            MapAssert.Close(expected, result[n].Maps.Single().Map.Raw, 1e-6, $"grad-cam element-wise of photo {n}");
        }
    }

    [Fact]
    public void EigenGradCamOfGapLinearModelIsTheReluOfThePrincipalComponentOfGradientTimesActivation()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 32);
        float[][][] a = TinyCnn.Features(model, batch);
        float[] g = GapLinearGradient(model);

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "eigengradcam");

        for (int n = 0; n < Photos; n++)
        {
            float[][] weighted = a[n].Select((channel, k) => channel.Select(v => g[k] * v).ToArray()).ToArray();
            float[] expected = CamMethodsTests.PowerIterationProjection(weighted).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(expected, result[n].Maps.Single().Map.Raw, 1e-4, $"eigengrad-cam of photo {n}");
        }
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void FemWeighsChannelsByTheShareOfPositionsAboveMeanPlusKStandardDeviations(double k)
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 33);
        float[][][] a = TinyCnn.Features(model, batch);
        ICamMethod fem = new Fem().WithOptions(MethodOptionValues.Resolve("fem", new Fem().Options,
            new Dictionary<string, string> { ["k"] = k.ToString(System.Globalization.CultureInfo.InvariantCulture) }));

        float[][] actual = ComputeOn(fem, model, batch);

        for (int n = 0; n < Photos; n++)
        {
            float[] weights = a[n].Select(channel =>
            {
                double mean = channel.Average(v => (double)v);
                double std = Math.Sqrt(channel.Average(v => (v - mean) * (v - mean)));
                return channel.Count(v => v > mean + k * std) / (float)channel.Length;
            }).ToArray();
            float[] expected = CamMethodsTests.WeightedSum(weights, a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(expected, actual[n], 1e-5, $"fem of photo {n}");
        }
    }

    [Fact]
    public void ShapleyCamOfGapLinearModelIsGradCamBecauseTheHessianIsZero()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 34);
        float[][][] a = TinyCnn.Features(model, batch);
        float[] g = GapLinearGradient(model);

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "shapleycam");

        for (int n = 0; n < Photos; n++)
        {
            float[] expected = CamMethodsTests.WeightedSum(g, a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(expected, result[n].Maps.Single().Map.Raw, 1e-6, $"shapley-cam of photo {n}");
        }
    }

    /// <summary>
    /// y_c = Σ_k w_ck · mean(A_k²) + b_c: g = 2 w_ck A_k / hw and H·A = 2 w_ck A_k / hw, so g − ½ H·A = w_ck A_k / hw and
    /// ShapleyCAM's weight is w_ck · mean(A_k) / hw (half of Grad-CAM's).
    /// </summary>
    [Fact]
    public void ShapleyCamOfASquaringHeadSubtractsHalfTheHessianVectorProduct()
    {
        using ModuleCamModel model = GapOfSquares();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 35);
        float[][][] a = TinyCnn.Features(model, batch);
        (float[][] w, _) = TinyCnn.Head(model);

        IReadOnlyList<PhotoExplanation> result = ExplainAt(model, batch, "relu2", "shapleycam", "gradcam");

        for (int n = 0; n < Photos; n++)
        {
            float[] shapley = a[n].Select((channel, k) => w[ExplainedClass][k] * channel.Average() / Positions).ToArray();
            float[] grad = shapley.Select(v => 2 * v).ToArray();
            MapAssert.Close(Relu(CamMethodsTests.WeightedSum(shapley, a[n])), result[n].Maps[0].Map.Raw, 1e-5, $"shapley-cam of photo {n}");
            MapAssert.Close(Relu(CamMethodsTests.WeightedSum(grad, a[n])), result[n].Maps[1].Map.Raw, 1e-5, $"grad-cam of photo {n}");
        }
    }

    [Fact]
    public void FinerCamOfGapLinearModelIsGradCamOfTheClassMinusTheMeanOfItsThreeClosestClasses()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 36);
        float[][][] a = TinyCnn.Features(model, batch);
        (float[][] w, float[] b) = TinyCnn.Head(model);

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "finercam");

        for (int n = 0; n < Photos; n++)
        {
            float[] means = a[n].Select(channel => channel.Average()).ToArray();
            float[] logits = w.Select((row, c) => row.Zip(means, (x, m) => x * m).Sum() + b[c]).ToArray();
            int[] closest = Enumerable.Range(0, TinyCnn.Classes).Where(c => c != ExplainedClass)
                .OrderBy(c => Math.Abs(logits[c] - logits[ExplainedClass])).Take(3).ToArray();
            float[] weights = Enumerable.Range(0, TinyCnn.Channels)
                .Select(k => (w[ExplainedClass][k] - 0.6f * closest.Average(c => w[c][k])) / Positions).ToArray();
            MapAssert.Close(Relu(CamMethodsTests.WeightedSum(weights, a[n])), result[n].Maps.Single().Map.Raw, 1e-5, $"finer-cam of photo {n}");
        }
    }

    /// <summary>
    /// On the squaring head the gradient depends on the input, so the noise matters: each noisy copy's gradient is
    /// 2 w_ck A_k(x + ε_s) / hw, computed here from the copies' own features.
    /// </summary>
    [Fact]
    public void SmoothGradCamPlusPlusAveragesTheGradientPowersOverNoisyCopies()
    {
        using ModuleCamModel model = GapOfSquares();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 37);
        float[][][] clean = TinyCnn.Features(model, batch);
        (float[][] w, _) = TinyCnn.Head(model);
        const int samples = 4;
        float[][][][] noisy;
        using (torch.NewDisposeScope())
        {
            Tensor noise = SmoothGradCamPlusPlus.Noise(samples, 12, 12, 0.3);
            noisy = Enumerable.Range(0, Photos).Select(n => TinyCnn.Features(model, batch[n].unsqueeze(0) + noise)).ToArray();
        }

        IReadOnlyList<PhotoExplanation> result = ExplainAt(model, batch, "relu2", "smoothgradcam++");

        for (int n = 0; n < Photos; n++)
        {
            var weights = new float[TinyCnn.Channels];
            for (int k = 0; k < TinyCnn.Channels; k++)
            {
                double activationSum = clean[n][k].Sum(v => (double)v);
                for (int p = 0; p < Positions; p++)
                {
                    double[] g = Enumerable.Range(0, samples).Select(s => 2.0 * w[ExplainedClass][k] * noisy[n][s][k][p] / Positions).ToArray();
                    double g2 = g.Average(v => v * v), g3 = g.Average(v => v * v * v);
                    double alpha = g2 / (2 * g2 + activationSum * g3 + 1e-8);
                    weights[k] += (float)(alpha * Math.Max(g.Average(), 0));
                }
            }
            MapAssert.Close(Relu(CamMethodsTests.WeightedSum(weights, clean[n])), result[n].Maps.Single().Map.Raw, 1e-4, $"smooth grad-cam++ of photo {n}");
        }
    }

    /// <summary>
    /// FullGrad of conv1 → ReLU → conv2 → ReLU → GAP → linear: the gradients at the input and at both convolutions'
    /// outputs from autograd on the functional network (not the model's hooks), then the formula in plain arrays.
    /// </summary>
    [Fact]
    public void FullGradSumsTheScaledInputAndBiasGradientsAtTheInputResolution()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 38);
        var conv1 = (Conv2d)model.Module.named_modules().Single(m => m.name == "conv1").module;
        var conv2 = (Conv2d)model.Module.named_modules().Single(m => m.name == "conv2").module;
        var fc = (Linear)model.Module.named_modules().Single(m => m.name == "fc").module;
        float[] x, gx, gh1, gh2, b1 = conv1.bias!.data<float>().ToArray(), b2 = conv2.bias!.data<float>().ToArray();
        using (torch.NewDisposeScope())
        using (torch.enable_grad())
        {
            Tensor input = batch.detach().clone().requires_grad_(true);
            Tensor h1 = nn.functional.conv2d(input, conv1.weight!.detach(), conv1.bias!.detach(), padding: [1, 1]);
            Tensor h2 = nn.functional.conv2d(h1.relu(), conv2.weight!.detach(), conv2.bias!.detach(), strides: [2, 2], padding: [1, 1]);
            Tensor logits = nn.functional.linear(h2.relu().mean([2, 3]), fc.weight!.detach(), fc.bias!.detach());
            IList<Tensor> grads = torch.autograd.grad([logits[.., ExplainedClass].sum()], [input, h1, h2]);
            (x, gx, gh1, gh2) = (input.detach().data<float>().ToArray(), grads[0].data<float>().ToArray(), grads[1].data<float>().ToArray(), grads[2].data<float>().ToArray());
        }

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "fullgrad");

        for (int n = 0; n < Photos; n++)
        {
            float[] expected = new float[144];
            Accumulate(expected, ScaledChannelSum(x, gx, null, n, 3, 12), 12);
            Accumulate(expected, ScaledChannelSum(null, gh1, b1, n, 4, 12), 12);
            Accumulate(expected, ScaledChannelSum(null, gh2, b2, n, TinyCnn.Channels, 6), 6);
            CamMap map = result[n].Maps.Single().Map;
            Assert.Equal((12, 12), (map.Width, map.Height));
            MapAssert.Close(expected, map.Raw, 1e-4, $"fullgrad of photo {n}");
        }
    }

    /// <summary>The sigmoid-kernel PCA written out: K = tanh(γ XXᵀ + 1) double-centred, its top eigenpair by shifted power iteration, scikit-learn's sign.</summary>
    [Fact]
    public void KpcaCamIsTheReluOfTheTopKernelPrincipalComponent()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 39);
        float[][][] a = TinyCnn.Features(model, batch);

        float[][] actual = ComputeOn(new KpcaCam(), model, batch);

        for (int n = 0; n < Photos; n++)
            MapAssert.Close(KernelProjection(a[n], 1.0 / TinyCnn.Channels), actual[n], 1e-4, $"kpca-cam of photo {n}");
    }

    [Fact]
    public void TheNewMethodsTogetherLeaveNoTensorBehind()
    {
        using ModuleCamModel model = GapOfSquares();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 40);
        var request = new ExplainRequest(["gradcam-elementwise", "eigengradcam", "smoothgradcam++", "shapleycam", "fullgrad", "kpcacam", "fem", "finercam", "gradcam"],
            new ClassSelection.TopK(2), "relu2");
        CamExplainer.Explain(model, batch, request);
        long before = LiveTensors.OnThisThread();

        IReadOnlyList<PhotoExplanation> result = CamExplainer.Explain(model, batch, request);

        Assert.Equal(before, LiveTensors.OnThisThread());
        Assert.All(result, photo => Assert.Equal(2 * 9, photo.Maps.Count));
        Assert.All(result.SelectMany(p => p.Maps), m => Assert.All(m.Map.Raw, v => Assert.True(float.IsFinite(v), m.Method)));
    }

    /// <summary>A model whose head squares relu2 before pooling: y_c = Σ_k w_ck · mean(A_k²) + b_c (same seed and weights as <see cref="TinyCnn.GapLinear"/>).</summary>
    private static ModuleCamModel GapOfSquares()
    {
        torch.manual_seed(7);
        var network = nn.Sequential(
            ("conv1", nn.Conv2d(3, 4, 3, padding: 1)),
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(4, TinyCnn.Channels, 3, stride: 2, padding: 1)),
            ("relu2", nn.ReLU()),
            ("square", new Square()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(TinyCnn.Channels, TinyCnn.Classes)));
        return new ModuleCamModel("tiny-gap-squares", network, PreprocessingSpec.ImageNet(12), torch.CPU);
    }

    private sealed class Square() : nn.Module<Tensor, Tensor>(nameof(Square))
    {
        public override Tensor forward(Tensor input) => input.square();
    }

    /// <summary>∂y_c/∂A_kij of GAP + linear: w[c, k] / hw at every position.</summary>
    private static float[] GapLinearGradient(ModuleCamModel model) =>
        TinyCnn.Head(model).Weight[ExplainedClass].Select(v => v / Positions).ToArray();

    private static IReadOnlyList<PhotoExplanation> Explain(ModuleCamModel model, Tensor batch, params string[] methods) =>
        CamExplainer.Explain(model, batch, new ExplainRequest(methods, new ClassSelection.Indices([ExplainedClass])));

    private static IReadOnlyList<PhotoExplanation> ExplainAt(ModuleCamModel model, Tensor batch, string layer, params string[] methods) =>
        CamExplainer.Explain(model, batch, new ExplainRequest(methods, new ClassSelection.Indices([ExplainedClass]), layer));

    /// <summary>A configured method on relu2's activation (class-agnostic methods need nothing else).</summary>
    private static float[][] ComputeOn(ICamMethod method, ModuleCamModel model, Tensor batch)
    {
        using var scope = torch.NewDisposeScope();
        using ModelRun run = model.Run(batch, "relu2", trackGradients: false);
        Tensor maps = method.Compute(new CamInputs(run.Activation, null, torch.zeros(Photos, ScalarType.Int64), null));
        return Enumerable.Range(0, Photos).Select(n => maps[n].flatten().data<float>().ToArray()).ToArray();
    }

    private static float[] Relu(float[] values) => values.Select(v => Math.Max(v, 0f)).ToArray();

    /// <summary>Σ_c of each channel of |x ⊙ g| (or |b ⊙ g|) min-max scaled, for photo <paramref name="n"/>, size×size.</summary>
    private static float[] ScaledChannelSum(float[]? x, float[] g, float[]? bias, int n, int channels, int size)
    {
        int area = size * size;
        var sum = new float[area];
        for (int c = 0; c < channels; c++)
        {
            int offset = (n * channels + c) * area;
            float[] values = Enumerable.Range(0, area).Select(p => Math.Abs(g[offset + p] * (x is null ? bias![c] : x[offset + p]))).ToArray();
            float min = values.Min();
            float max = values.Max() - min;
            for (int p = 0; p < area; p++)
                sum[p] += (values[p] - min) / (max + 1e-7f);
        }
        return sum;
    }

    private static void Accumulate(float[] total, float[] part, int size)
    {
        float[] resized = size == 12 ? part : MapAssert.BilinearUpsample(part, size, size, 12, 12);
        for (int p = 0; p < total.Length; p++)
            total[p] += resized[p];
    }

    private static float[] KernelProjection(float[][] activation, double gamma)
    {
        int channels = activation.Length, positions = activation[0].Length;
        double[] means = activation.Select(ch => ch.Average(v => (double)v)).ToArray();
        var k = new double[positions, positions];
        for (int i = 0; i < positions; i++)
            for (int j = 0; j < positions; j++)
            {
                double dot = 0;
                for (int c = 0; c < channels; c++)
                    dot += (activation[c][i] - means[c]) * (activation[c][j] - means[c]);
                k[i, j] = Math.Tanh(gamma * dot + 1);
            }
        double[] row = new double[positions];
        double all = 0;
        for (int i = 0; i < positions; i++)
        {
            for (int j = 0; j < positions; j++)
                row[i] += k[i, j] / positions;
            all += row[i] / positions;
        }
        double shift = 0;
        for (int i = 0; i < positions; i++)
            for (int j = 0; j < positions; j++)
            {
                k[i, j] = k[i, j] - row[i] - row[j] + all;
                shift += k[i, j] * k[i, j];
            }
        shift = Math.Sqrt(shift);   // ≥ every |eigenvalue|: K + shift·I has the largest eigenvalue on top
        double[] v = Enumerable.Range(0, positions).Select(i => 1.0 + 0.01 * i).ToArray();
        double lambda = 0;
        for (int iteration = 0; iteration < 5000; iteration++)
        {
            var next = new double[positions];
            for (int i = 0; i < positions; i++)
            {
                for (int j = 0; j < positions; j++)
                    next[i] += k[i, j] * v[j];
                next[i] += shift * v[i];
            }
            double norm = Math.Sqrt(next.Sum(e => e * e));
            lambda = norm - shift;
            v = next.Select(e => e / norm).ToArray();
        }
        double largest = v.MaxBy(Math.Abs);   // scikit-learn's sign: the largest entry in magnitude is positive
        double scale = Math.Sqrt(Math.Max(lambda, 0)) * (largest < 0 ? -1 : 1);
        return v.Select(e => (float)Math.Max(e * scale, 0)).ToArray();
    }
}
