using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Methods;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>
/// Score-CAM and its relatives against the masked-forward loop written out here (masks built by hand, one float32
/// forward per masked copy), on a small model; and the sharing of passes: classes, duplicate masks, cancellation.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class ScoreFamilyTests
{
    private const int Size = 12, Side = 6, Positions = Side * Side;
    private static readonly int[] Classes = [3, 0, 4];

    [Fact]
    public void IsCamAveragesTheScoresOfTheMaskedPhotoOverTorchCamsScaleSchedule()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, Size, seed: 21);
        float[][][] a = TinyCnn.Features(model, batch);
        const int steps = 4;
        // TorchCAM's schedule: s_i = Σ_{j ≤ i} j / N.
        double[] scales = [0.25, 0.75, 1.5, 2.5];

        float[][] maps = MapsOf(Explain(model, batch, new IsCam(steps), Classes[0]));

        for (int n = 0; n < 2; n++)
        {
            float[] expected = Loop(model, batch, n, a[n], steps, Classes[0], (k, r) =>
                Scale(CamMethodsTests.BilinearUpsample(MapAssert.MinMax(a[n][k]), Side, Side, Size, Size), scales[r]));
            MapAssert.Close(expected, maps[n], 1e-4, $"is-cam of photo {n}");
        }
    }

    [Fact]
    public void SsCamAveragesTheScoresOfNoisyMasksDrawnFromOneSeedPerCopy()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, Size, seed: 22);
        float[][][] a = TinyCnn.Features(model, batch);
        const int samples = 3;
        const double sigma = 0.5;

        float[][] maps = MapsOf(Explain(model, batch, new SsCam(samples, sigma), Classes[0]));

        for (int n = 0; n < 2; n++)
        {
            float[] expected = Loop(model, batch, n, a[n], samples, Classes[0], (k, r) =>
            {
                float[] mask = CamMethodsTests.BilinearUpsample(MapAssert.MinMax(a[n][k]), Side, Side, Size, Size);
                float[] noise = Noise(SsCam.Seed + k * samples + r);
                return mask.Select((m, p) => (float)(m + sigma * noise[p])).ToArray();
            });
            MapAssert.Close(expected, maps[n], 1e-4, $"ss-cam of photo {n}");
        }
    }

    [Fact]
    public void FasterScoreCamScoresOnlyTheChannelsOfLargestVarianceAndEqualsScoreCamWithAllOfThem()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, Size, seed: 23);
        float[][][] a = TinyCnn.Features(model, batch);

        float[][] fast = MapsOf(Explain(model, batch, new FasterScoreCam(2), Classes[0]));
        float[][] all = MapsOf(Explain(model, batch, new FasterScoreCam(TinyCnn.Channels), Classes[0]));
        float[][] exact = MapsOf(Explain(model, batch, new ScoreCam(), Classes[0]));

        for (int n = 0; n < 2; n++)
        {
            int[] top = Enumerable.Range(0, TinyCnn.Channels).OrderByDescending(k => Variance(a[n][k])).Take(2).ToArray();
            float[][] selected = top.Select(k => a[n][k]).ToArray();
            float[] expected = Loop(model, batch, n, selected, 1, Classes[0], (k, _) =>
                MapAssert.MinMax(CamMethodsTests.BilinearUpsample(selected[k], Side, Side, Size, Size, alignCorners: true)));
            MapAssert.Close(expected, fast[n], 1e-4, $"faster score-cam (k = 2) of photo {n}");
            MapAssert.Close(exact[n], all[n], 1e-5, $"faster score-cam with every channel, photo {n}");
        }
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("iscam")]
    [InlineData("ablationcam")]
    public void DeadChannelsShareOnePassAndTheMapStillEqualsTheLoop(string id)
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        KillChannels(model, 0, 4);
        using Tensor batch = TinyCnn.RandomBatch(1, Size, seed: 24);
        float[][][] a = TinyCnn.Features(model, batch);
        Assert.All(new[] { 0, 4 }, k => Assert.All(a[0][k], v => Assert.Equal(0f, v)));
        ICamMethod method = id == "iscam" ? new IsCam(2) : CamMethods.Get(id);

        var (maps, images) = CountImages(model, () => MapsOf(Explain(model, batch, method, Classes[0])));

        float[] expected = id switch
        {
            "scorecam" => Loop(model, batch, 0, a[0], 1, Classes[0], (k, _) =>
                MapAssert.MinMax(CamMethodsTests.BilinearUpsample(a[0][k], Side, Side, Size, Size, alignCorners: true))),
            "iscam" => Loop(model, batch, 0, a[0], 2, Classes[0], (k, r) =>
                Scale(CamMethodsTests.BilinearUpsample(MapAssert.MinMax(a[0][k]), Side, Side, Size, Size), r == 0 ? 0.5 : 1.5)),
            _ => AblationLoop(model, batch, a[0], Classes[0]),
        };
        MapAssert.Close(expected, maps[0], 1e-4, id);
        // The explained forward, then: Score-CAM 4 live masks + the zero image; IS-CAM 2 × 4 + 1; Ablation-CAM the
        // unablated run + 4 live channels (the dead ones cannot change the score).
        long passes = id switch { "scorecam" => 5, "iscam" => 9, _ => 5 };
        Assert.Equal(1 + passes, images);
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("sscam")]
    [InlineData("iscam")]
    [InlineData("scorecam-fast")]
    [InlineData("ablationcam")]
    public void SeveralClassesShareOneSetOfPassesAndEqualSeparateRuns(string id)
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, Size, seed: 25);
        ICamMethod method = id switch
        {
            "sscam" => new SsCam(2, 1.0),
            "iscam" => new IsCam(3),
            "scorecam-fast" => new FasterScoreCam(3),
            _ => CamMethods.Get(id),
        };

        var (together, imagesTogether) = CountImages(model, () => CamExplainer.Explain(model, batch, [method], "relu2",
            new ClassSelection.Indices(Classes), null, CancellationToken.None, out _));
        var (_, imagesOne) = CountImages(model, () => Explain(model, batch, method, Classes[0]));

        Assert.Equal(imagesOne, imagesTogether);
        for (int c = 0; c < Classes.Length; c++)
        {
            float[][] alone = MapsOf(Explain(model, batch, method, Classes[c]));
            for (int n = 0; n < 2; n++)
                MapAssert.Close(alone[n], together[n].Maps[c].Map.Raw, 1e-6, $"{id}, class {Classes[c]}, photo {n}");
        }
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("sscam")]
    [InlineData("iscam")]
    [InlineData("ablationcam")]
    public void CancellingMidRunStopsAtTheNextChunkAndFreesEveryTensor(string id)
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, Size, seed: 26);
        using var cancellation = new CancellationTokenSource();
        var progress = new CancelOnFirstReport(cancellation);
        ICamMethod method = id == "sscam" ? new SsCam(3, 1.0) : CamMethods.Get(id);
        var pacing = new ForwardPacing(2 * method.ExtraForwardsPerPhoto(TinyCnn.Channels), progress);
        long before = LiveTensors.OnThisThread();

        Assert.ThrowsAny<OperationCanceledException>(() => CamExplainer.Explain(model, batch, [method], "relu2",
            new ClassSelection.Indices([Classes[0]]), pacing, cancellation.Token, out _));

        Assert.True(progress.Reports >= 1);
        Assert.True(pacing.DoneForwards < pacing.TotalForwards, $"{pacing.DoneForwards} of {pacing.TotalForwards} passes ran before the cancel took");
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Theory]
    [InlineData("scorecam")]
    [InlineData("sscam")]
    public void EachChunksMasksAreFreedBeforeTheNextChunkIsBuilt(string id)
    {
        // 256 channels at layer3 (2×2 at a 32² input) are many chunks (at most 16 copies each, however fast the
        // machine); the live tensors are counted as each chunk enters the network (a forward hook, not progress
        // reports, which are throttled by time). What may stay from one chunk to the next is its logits (one
        // tensor), not its masks and masked copies (which at 224² were 2 GB on the default model).
        torch.manual_seed(29);
        using var model = new ModuleCamModel("resnet18", TorchVisionModels.Create("resnet18", device: CPU), PreprocessingSpec.ImageNet(32), CPU,
            inferencePrecision: ScalarType.Float32);
        using Tensor batch = torch.randn(1, 3, 32, 32);
        ICamMethod method = id == "sscam" ? new SsCam(2, 1.0) : CamMethods.Get(id);
        var live = new List<long>();
        var hook = model.Module.register_forward_hook((_, _, output) =>
        {
            live.Add(LiveTensors.OnThisThread());
            return output;
        });
        var pacing = new ForwardPacing(method.ExtraForwardsPerPhoto(256));
        try
        {
            CamExplainer.Explain(model, batch, [method], "layer3", new ClassSelection.Indices([0]), pacing, CancellationToken.None, out _);
        }
        finally
        {
            hook.remove();
        }

        // Kept: each chunk's logits, and a few tensors made once; holding a chunk's masks and copies adds 70 or more.
        int chunks = live.Count - 1; // the first forward is the explained photo's own
        Assert.True(chunks >= 256 / ForwardPacing.MaxChunk, $"only {chunks} chunks");
        long growth = live[^1] - live[1];
        Assert.True(growth <= 2 * chunks + 20, $"{growth} more live tensors over {chunks} chunks: {string.Join(", ", live)}");
    }

    [Fact]
    public void ProgressCountsSkippedPassesSoItEndsAtTheTotal()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        KillChannels(model, 1, 2);
        using Tensor batch = TinyCnn.RandomBatch(1, Size, seed: 27);
        var reports = new List<ExplainProgress>();
        var pacing = new ForwardPacing(new ScoreCam().ExtraForwardsPerPhoto(TinyCnn.Channels), new Recorder(reports));

        CamExplainer.Explain(model, batch, [new ScoreCam()], "relu2", new ClassSelection.Indices([0]), pacing, CancellationToken.None, out _);

        Assert.Equal(TinyCnn.Channels, pacing.DoneForwards);
        Assert.Equal(TinyCnn.Channels, reports[^1].DoneForwards);
    }

    [Theory]
    [InlineData("layer4")]
    [InlineData("layer4.0.bn1")]
    [InlineData("layer2.1.conv2")]
    public void AblatedCopiesOfOnePhotoShareTheLayersBeforeTheReplacedOneAndGiveTheFullPassesLogits(string layer)
    {
        // Inside a residual block the skip path (computed once, batch 1) is broadcast onto the replaced copies.
        torch.manual_seed(28);
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: PreprocessingSpec.ImageNet(32), device: CPU);
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor photo = torch.randn(1, 3, 32, 32);
        using ModelRun run = model.Run(photo, layer, trackGradients: false);
        Tensor outputs = run.Activation.repeat(3, 1, 1, 1) * torch.tensor(new float[] { 1f, 0.5f, 0f }).reshape(3, 1, 1, 1);

        Tensor shared = model.LogitsWithLayerOutput(photo.expand(3, -1, -1, -1), layer, outputs);
        Tensor full = model.LogitsWithLayerOutput(photo.repeat(3, 1, 1, 1), layer, outputs);

        Assert.Equal(full.shape, shared.shape);
        MapAssert.Close(full.data<float>().ToArray(), shared.data<float>().ToArray(), 1e-4 * full.abs().max().item<float>(), layer);
    }

    // ---- the loop written out -------------------------------------------------------------------------------

    /// <summary>ReLU(Σ_k softmax_k(mean_r y_c(photo ⊙ mask(k, r))) · A_k), one float32 forward per copy.</summary>
    private static float[] Loop(ModuleCamModel model, Tensor batch, int photo, float[][] a, int repeats, int cls, Func<int, int, float[]> mask)
    {
        float[] pixels = batch[photo].contiguous().data<float>().ToArray();
        var scores = new double[a.Length];
        for (int k = 0; k < a.Length; k++)
        {
            for (int r = 0; r < repeats; r++)
            {
                float[] m = mask(k, r);
                var masked = new float[3 * Size * Size];
                for (int c = 0; c < 3; c++)
                    for (int p = 0; p < Size * Size; p++)
                        masked[c * Size * Size + p] = pixels[c * Size * Size + p] * m[p];
                scores[k] += Score(model, torch.tensor(masked, [1, 3, Size, Size]), cls) / repeats;
            }
        }
        double max = scores.Max();
        double total = scores.Sum(s => Math.Exp(s - max));
        float[] weights = scores.Select(s => (float)(Math.Exp(s - max) / total)).ToArray();
        return CamMethodsTests.WeightedSum(weights, a).Select(v => Math.Max(v, 0f)).ToArray();
    }

    /// <summary>Ablation-CAM with the layer's output replaced through a hook written here.</summary>
    private static float[] AblationLoop(ModuleCamModel model, Tensor batch, float[][] a, int cls)
    {
        var relu2 = model.Module.named_modules().Single(m => m.name == "relu2").module;
        Tensor photo = batch[0].unsqueeze(0);
        double original = Score(model, photo.clone(), cls);
        var weights = new float[a.Length];
        for (int k = 0; k < a.Length; k++)
        {
            int channel = k;
            var remover = ((nn.Module<Tensor, Tensor>)relu2).register_forward_hook((_, _, output) =>
            {
                Tensor copy = output.clone();
                copy[0, channel].zero_();
                return copy;
            });
            try
            {
                weights[k] = (float)((original - Score(model, photo.clone(), cls)) / original);
            }
            finally
            {
                remover.remove();
            }
        }
        return CamMethodsTests.WeightedSum(weights, a).Select(v => Math.Max(v, 0f)).ToArray();
    }

    private static double Score(ModuleCamModel model, Tensor input, int cls)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using (input)
            return model.Module.call(input)[0, cls].item<float>();
    }

    private static float[] Noise(long seed)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new torch.Generator(0, torch.CPU);
        generator.manual_seed(seed);
        return torch.randn([Size, Size], generator: generator).data<float>().ToArray();
    }

    private static float[] Scale(float[] values, double factor) => values.Select(v => (float)(v * factor)).ToArray();

    private static double Variance(float[] values)
    {
        double mean = values.Average(v => (double)v);
        return values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    /// <summary>Sets conv2's bias of <paramref name="channels"/> far below zero, so relu2 outputs zeros there.</summary>
    private static void KillChannels(ModuleCamModel model, params int[] channels)
    {
        var conv2 = (Conv2d)model.Module.named_modules().Single(m => m.name == "conv2").module;
        using var noGrad = torch.no_grad();
        foreach (int k in channels)
            conv2.bias![k].fill_(-1e4f);
    }

    /// <summary>Runs <paramref name="action"/> counting the rows of logits computed (one per photo or masked / ablated copy).</summary>
    private static (T Result, long Images) CountImages<T>(ModuleCamModel model, Func<T> action)
    {
        long images = 0;
        var fc = (nn.Module<Tensor, Tensor>)model.Module.named_modules().Single(m => m.name == "fc").module;
        var remover = fc.register_forward_hook((_, _, output) =>
        {
            images += output.shape[0];
            return output;
        });
        try
        {
            return (action(), images);
        }
        finally
        {
            remover.remove();
        }
    }

    private static IReadOnlyList<PhotoExplanation> Explain(ModuleCamModel model, Tensor batch, ICamMethod method, int cls) =>
        CamExplainer.Explain(model, batch, [method], "relu2", new ClassSelection.Indices([cls]), null, CancellationToken.None, out _);

    private static float[][] MapsOf(IReadOnlyList<PhotoExplanation> explanations) =>
        explanations.Select(e => e.Maps.Single().Map.Raw).ToArray();

    private sealed class CancelOnFirstReport(CancellationTokenSource source) : IProgress<ExplainProgress>
    {
        public int Reports { get; private set; }

        public void Report(ExplainProgress value)
        {
            Reports++;
            source.Cancel();
        }
    }

    private sealed class Recorder(List<ExplainProgress> list) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => list.Add(value);
    }
}
