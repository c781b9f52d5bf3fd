using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Methods;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>Each method against its paper's formula: closed forms on a GAP + linear model, and hand-computed tensors.</summary>
[Collection(TorchCollection.Name)]
public sealed class CamMethodsTests
{
    private const int Photos = 2;
    private const int ExplainedClass = 3;

    [Fact]
    public void ClassicCamIsTheLinearWeightsTimesTheActivation()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 11);
        float[][][] a = TinyCnn.Features(model, batch);
        (float[][] w, float[] b) = TinyCnn.Head(model);

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "cam");

        for (int n = 0; n < Photos; n++)
        {
            float[] expected = WeightedSum(w[ExplainedClass], a[n]);
            Assert.Equal((6, 6), (result[n].Maps.Single().Map.Width, result[n].Maps.Single().Map.Height));
            MapAssert.Close(expected, result[n].Maps.Single().Map.Raw, 1e-5, $"cam of photo {n}");
        }
    }

    /// <summary>GAP and the linear layer commute, so the CAM's mean plus the bias is the logit.</summary>
    [Fact]
    public void ClassicCamMeanPlusBiasIsTheLogit()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 12);
        (_, float[] b) = TinyCnn.Head(model);
        float[] logits;
        using (torch.no_grad())
        using (Tensor output = model.Module.call(batch))
            logits = output.data<float>().ToArray();

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "cam");

        for (int n = 0; n < Photos; n++)
        {
            float[] raw = result[n].Maps.Single().Map.Raw;
            Assert.Equal(logits[n * TinyCnn.Classes + ExplainedClass], raw.Average() + b[ExplainedClass], 1e-5);
        }
    }

    [Fact]
    public void GradCamOfGapLinearModelEqualsNormalisedClassicCamAfterRelu()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 13);
        float[][][] a = TinyCnn.Features(model, batch);
        (float[][] w, _) = TinyCnn.Head(model);
        // A class whose CAM has positive and negative parts in both photos, so the ReLU matters and the map is not flat.
        int explained = Enumerable.Range(0, TinyCnn.Classes).First(c => Enumerable.Range(0, Photos).All(n =>
        {
            float[] cam = WeightedSum(w[c], a[n]);
            return cam.Max() > 0 && cam.Min() < 0;
        }));

        IReadOnlyList<PhotoExplanation> result = CamExplainer.Explain(
            model, batch, new ExplainRequest(["gradcam"], new ClassSelection.Indices([explained])));

        for (int n = 0; n < Photos; n++)
        {
            float[] camAfterRelu = WeightedSum(w[explained], a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(MapAssert.MinMax(camAfterRelu), result[n].Maps.Single().Map.Normalised(), 1e-5, $"grad-cam of photo {n}");
        }
    }

    [Fact]
    public void HiResCamOfGapLinearModelIsGradientTimesActivationSummedOverChannels()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 14);
        float[][][] a = TinyCnn.Features(model, batch);
        (float[][] w, _) = TinyCnn.Head(model);
        int positions = a[0][0].Length;
        // ∂y_c/∂A_kij of GAP + linear is w[c, k] / hw at every position.
        float[] gradient = w[ExplainedClass].Select(v => v / positions).ToArray();

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "hirescam", "layercam");

        for (int n = 0; n < Photos; n++)
        {
            float[] hires = WeightedSum(gradient, a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            float[] layer = WeightedSum(gradient.Select(g => Math.Max(g, 0f)).ToArray(), a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(hires, result[n].Maps[0].Map.Raw, 1e-6, $"hirescam of photo {n}");
            MapAssert.Close(layer, result[n].Maps[1].Map.Raw, 1e-6, $"layercam of photo {n}");
        }
    }

    [Fact]
    public void GradCamPlusPlusMatchesTheFormulaOnAHandComputedActivation()
    {
        // A = [[1,2],[3,4]], [[0,1],[2,0]]; g = [[0.5,−1],[0,2]], [[1,1],[0.5,0]]; Σ A = 10 and 3.
        // α = g²/(2g² + ΣA·g³): channel 0: 0.25/1.75, 1/(2−10) (g<0, ReLU(g)=0), 0 (g=0), 4/88;
        //   w₀ = 0.5·0.25/1.75 + 2·4/88 = 0.0714286 + 0.0909091 = 0.1623377
        // channel 1: 1/5, 1/5, 0.25/0.875, 0: w₁ = 0.2 + 0.2 + 0.5·0.2857143 = 0.5428571
        // map = ReLU(w₀A₀ + w₁A₁)
        float[] expected = [0.1623377f, 2 * 0.1623377f + 0.5428571f, 3 * 0.1623377f + 2 * 0.5428571f, 4 * 0.1623377f];

        float[] actual = ComputeOnHandTensors(new GradCamPlusPlus());

        MapAssert.Close(expected, actual, 1e-5, "grad-cam++");
    }

    [Fact]
    public void XGradCamMatchesTheFormulaOnAHandComputedActivation()
    {
        // w_k = Σ_ij (A_kij / Σ A_k) · g_kij: w₀ = (0.5 − 2 + 0 + 8)/10 = 0.65, w₁ = (0 + 1 + 1 + 0)/3 = 2/3.
        float[] expected = [0.65f, 1.3f + 2f / 3f, 1.95f + 4f / 3f, 2.6f];

        float[] actual = ComputeOnHandTensors(new XGradCam());

        MapAssert.Close(expected, actual, 1e-5, "xgrad-cam");
    }

    [Fact]
    public void GradCamMatchesTheFormulaOnAHandComputedActivation()
    {
        // α = mean g: α₀ = 1.5/4 = 0.375, α₁ = 2.5/4 = 0.625.
        float[] expected = [0.375f, 0.75f + 0.625f, 1.125f + 1.25f, 1.5f];

        float[] actual = ComputeOnHandTensors(new GradCam());

        MapAssert.Close(expected, actual, 1e-6, "grad-cam");
    }

    [Theory]
    [InlineData(2, 8, 2, 3)]   // hw = 6 ≤ C = 8: the hw × hw Gram route
    [InlineData(3, 4, 5, 4)]   // hw = 20 > C = 4: the C × C route
    public void EigenCamIsTheReluOfTheProjectionOnTheFirstRightSingularVector(int photos, int channels, int height, int width)
    {
        torch.manual_seed(21);
        using var scope = torch.NewDisposeScope();
        Tensor activations = torch.rand(photos, channels, height, width) + torch.rand(photos, channels, 1, 1);
        Tensor classes = torch.zeros(photos, ScalarType.Int64);
        float[][][] a = TinyCnn.ToNested(activations);

        Tensor maps = new EigenCam().Compute(new CamInputs(activations, null, classes, null));
        float[] actual = maps.data<float>().ToArray();

        int positions = height * width;
        for (int n = 0; n < photos; n++)
        {
            float[] expected = PowerIterationProjection(a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(expected, actual.AsSpan(n * positions, positions).ToArray(), 1e-4, $"eigen-cam of photo {n}");
        }
    }

    [Fact]
    public void EigenCamThroughTheExplainerMatchesThePowerIterationOnTheCapturedLayer()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 15);
        float[][][] a = TinyCnn.Features(model, batch);

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "eigencam");

        for (int n = 0; n < Photos; n++)
            MapAssert.Close(PowerIterationProjection(a[n]).Select(v => Math.Max(v, 0f)).ToArray(), result[n].Maps.Single().Map.Raw, 1e-4, $"eigen-cam of photo {n}");
    }

    [Fact]
    public void AblationCamOfGapLinearModelWeighsChannelsByTheirShareOfTheLogit()
    {
        // Zeroing channel k of a GAP + linear model lowers y_c by w[c, k]·mean(A_k), so w_k = w[c, k]·mean(A_k) / y_c.
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 16);
        float[][][] a = TinyCnn.Features(model, batch);
        (float[][] w, float[] b) = TinyCnn.Head(model);

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "ablationcam");

        for (int n = 0; n < Photos; n++)
        {
            float[] means = a[n].Select(channel => channel.Average()).ToArray();
            float logit = w[ExplainedClass].Zip(means, (wk, mk) => wk * mk).Sum() + b[ExplainedClass];
            float[] weights = w[ExplainedClass].Zip(means, (wk, mk) => wk * mk / logit).ToArray();
            float[] expected = WeightedSum(weights, a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(expected, result[n].Maps.Single().Map.Raw, 1e-4, $"ablation-cam of photo {n}");
        }
    }

    [Fact]
    public void ScoreCamWeighsChannelsBySoftmaxOfTheScoresOfTheMaskedPhoto()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(Photos, 12, seed: 17);
        float[][][] a = TinyCnn.Features(model, batch);
        float[] photos = batch.data<float>().ToArray();

        IReadOnlyList<PhotoExplanation> result = Explain(model, batch, "scorecam");

        for (int n = 0; n < Photos; n++)
        {
            var scores = new double[TinyCnn.Channels];
            for (int k = 0; k < TinyCnn.Channels; k++)
            {
                // pytorch-grad-cam's UpsamplingBilinear2d: align_corners = true.
                float[] mask = MapAssert.MinMax(BilinearUpsample(a[n][k], 6, 6, 12, 12, alignCorners: true));
                var masked = new float[3 * 144];
                for (int c = 0; c < 3; c++)
                    for (int p = 0; p < 144; p++)
                        masked[c * 144 + p] = photos[n * 3 * 144 + c * 144 + p] * mask[p];
                using (torch.no_grad())
                using (torch.NewDisposeScope())
                    scores[k] = model.Module.call(torch.tensor(masked, [1, 3, 12, 12]))[0, ExplainedClass].item<float>();
            }
            double total = scores.Sum(Math.Exp);
            float[] weights = scores.Select(s => (float)(Math.Exp(s) / total)).ToArray();
            float[] expected = WeightedSum(weights, a[n]).Select(v => Math.Max(v, 0f)).ToArray();
            MapAssert.Close(expected, result[n].Maps.Single().Map.Raw, 1e-4, $"score-cam of photo {n}");
        }
    }

    [Fact]
    public void RegistryListsEveryMethodAndNamesTheValidIdsForAnUnknownOne()
    {
        Assert.Equal(["cam", "gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "eigencam", "scorecam", "scorecam-fast", "sscam", "iscam", "ablationcam",
            "gradcam-elementwise", "eigengradcam", "smoothgradcam++", "shapleycam", "fullgrad", "kpcacam", "fem", "finercam", "legrad"], CamMethods.Ids);
        Assert.Same(CamMethods.Get("gradcam"), CamMethods.Get("GradCAM"));
        Assert.All(CamMethods.All, m => Assert.Matches(@"\b(19|20)\d\d\b", m.Paper));

        var error = Assert.Throws<ArgumentException>(() => CamMethods.Get("smoothcam"));

        Assert.Contains("smoothcam", error.Message);
        Assert.Contains("gradcam++", error.Message);
    }

    private static IReadOnlyList<PhotoExplanation> Explain(ModuleCamModel model, Tensor batch, params string[] methods) =>
        CamExplainer.Explain(model, batch, new ExplainRequest(methods, new ClassSelection.Indices([ExplainedClass])));

    private static float[] ComputeOnHandTensors(ICamMethod method)
    {
        using var scope = torch.NewDisposeScope();
        Tensor activations = torch.tensor(new float[] { 1, 2, 3, 4, 0, 1, 2, 0 }).reshape(1, 2, 2, 2);
        Tensor gradients = torch.tensor(new float[] { 0.5f, -1, 0, 2, 1, 1, 0.5f, 0 }).reshape(1, 2, 2, 2);
        Tensor classes = torch.zeros(1, ScalarType.Int64);
        return method.Compute(new CamInputs(activations, gradients, classes, null)).data<float>().ToArray();
    }

    /// <summary>PyTorch's bilinear resize (align_corners false, or true), written out.</summary>
    internal static float[] BilinearUpsample(float[] source, int height, int width, int outHeight, int outWidth, bool alignCorners = false)
    {
        double Source(int o, int size, int outSize) => alignCorners
            ? (outSize == 1 ? 0 : o * (size - 1.0) / (outSize - 1))
            : Math.Max(0, (o + 0.5) * size / outSize - 0.5);
        var result = new float[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
        {
            double sy = Source(y, height, outHeight);
            int y0 = Math.Min((int)sy, height - 1), y1 = Math.Min(y0 + 1, height - 1);
            double fy = sy - y0;
            for (int x = 0; x < outWidth; x++)
            {
                double sx = Source(x, width, outWidth);
                int x0 = Math.Min((int)sx, width - 1), x1 = Math.Min(x0 + 1, width - 1);
                double fx = sx - x0;
                result[y * outWidth + x] = (float)(
                    (1 - fy) * ((1 - fx) * source[y0 * width + x0] + fx * source[y0 * width + x1]) +
                    fy * ((1 - fx) * source[y1 * width + x0] + fx * source[y1 * width + x1]));
            }
        }
        return result;
    }

    internal static float[] WeightedSum(float[] weights, float[][] activation)
    {
        var result = new float[activation[0].Length];
        for (int k = 0; k < weights.Length; k++)
        {
            for (int p = 0; p < result.Length; p++)
                result[p] += weights[k] * activation[k][p];
        }
        return result;
    }

    /// <summary>
    /// X (hw × C) centred per channel; v₁ of XᵀX by power iteration in double; X·v₁, signed to correlate
    /// positively with the channel sum.
    /// </summary>
    internal static float[] PowerIterationProjection(float[][] activation)
    {
        int channels = activation.Length, positions = activation[0].Length;
        var x = new double[positions, channels];
        for (int k = 0; k < channels; k++)
        {
            double mean = activation[k].Average(v => (double)v);
            for (int p = 0; p < positions; p++)
                x[p, k] = activation[k][p] - mean;
        }
        var gram = new double[channels, channels];
        for (int i = 0; i < channels; i++)
            for (int j = 0; j < channels; j++)
                for (int p = 0; p < positions; p++)
                    gram[i, j] += x[p, i] * x[p, j];

        var v = Enumerable.Range(0, channels).Select(i => 1.0 + 0.1 * i).ToArray();
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            var next = new double[channels];
            for (int i = 0; i < channels; i++)
                for (int j = 0; j < channels; j++)
                    next[i] += gram[i, j] * v[j];
            double norm = Math.Sqrt(next.Sum(e => e * e));
            v = next.Select(e => e / norm).ToArray();
        }

        var projection = new double[positions];
        double agreement = 0;
        for (int p = 0; p < positions; p++)
        {
            for (int k = 0; k < channels; k++)
                projection[p] += x[p, k] * v[k];
            agreement += projection[p] * Enumerable.Range(0, channels).Sum(k => (double)activation[k][p]);
        }
        return projection.Select(e => (float)(agreement < 0 ? -e : e)).ToArray();
    }
}
