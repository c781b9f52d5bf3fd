using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.TorchVision;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>
/// The Score-CAM family against the reference libraries' own maps (pytorch-grad-cam, TorchCAM), written by
/// scripts/make-anchor-references.py on the same weights and input: the layer-resolution raw maps must agree
/// (Pearson ≥ 0.99) and, where the anchor is deterministic, match value by value.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class AnchorAgreementTests(ITestOutputHelper output)
{
    private const int ExplainedClass = 3;

    [Theory]
    [InlineData("scorecam", "pgc-scorecam", true)]
    [InlineData("ablationcam", "pgc-ablationcam", true)]
    [InlineData("iscam", "torchcam-iscam", true)]
    [InlineData("sscam", "torchcam-sscam", false)]
    public void MapAgreesWithTheAnchorOnTheSameWeightsAndInput(string method, string reference, bool deterministic)
    {
        using ModuleCamModel model = TinyAnchorModel();
        NpyArray input = NpyFormat.ReadFile(Fixture("anchor-input.npy"));
        NpyArray expected = NpyFormat.ReadFile(Fixture($"anchor-{reference}.npy"));
        using Tensor batch = torch.tensor(input.Data, [1, .. input.Shape.Select(s => (long)s)]);

        float[] map = CamExplainer.Explain(model, batch, new ExplainRequest([method], new ClassSelection.Indices([ExplainedClass])))[0].Maps.Single().Map.Raw;

        double r = Pearson(expected.Data, map);
        double diff = expected.Data.Zip(map, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"{method} vs {reference}: Pearson {r:0.000000}, max abs diff {diff:g3} (map range {expected.Data.Min():g3}–{expected.Data.Max():g3})");
        Assert.Equal([16, 16], expected.Shape);
        Assert.True(r >= 0.99, $"{method} vs {reference}: Pearson {r}");
        if (deterministic)
            MapAssert.Close(expected.Data, map, 1e-3 * expected.Data.Max(), $"{method} vs {reference}");
    }

    [Fact]
    public void ScoreCamFollowsPytorchGradCamsUpsamplingMoreCloselyThanTorchCams()
    {
        // The two anchors differ only in the masks (upsample-then-scale with align_corners = true, or the reverse
        // with false); Score-CAM says it follows pytorch-grad-cam, so it must sit closer to that one.
        using ModuleCamModel model = TinyAnchorModel();
        NpyArray input = NpyFormat.ReadFile(Fixture("anchor-input.npy"));
        using Tensor batch = torch.tensor(input.Data, [1, .. input.Shape.Select(s => (long)s)]);
        float[] map = CamExplainer.Explain(model, batch, new ExplainRequest(["scorecam"], new ClassSelection.Indices([ExplainedClass])))[0].Maps.Single().Map.Raw;

        double toPgc = MaxDiff(NpyFormat.ReadFile(Fixture("anchor-pgc-scorecam.npy")).Data, map);
        double toTorchCam = MaxDiff(NpyFormat.ReadFile(Fixture("anchor-torchcam-scorecam.npy")).Data, map);

        Assert.True(toPgc < toTorchCam, $"max diff to pytorch-grad-cam {toPgc:g3}, to TorchCAM {toTorchCam:g3}");
    }

    /// <summary>The script's tiny CNN: same module names, so its PyTorch state dict loads strictly.</summary>
    private static ModuleCamModel TinyAnchorModel()
    {
        var network = nn.Sequential(
            ("conv1", nn.Conv2d(3, 8, 3, padding: 1)),
            ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(8, 16, 3, stride: 2, padding: 1)),
            ("relu2", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(16, 10)));
        StateDictFile.LoadInto(network, GeneratedModels.File("anchor-tiny.pt"), "the anchor references' tiny CNN");
        return new ModuleCamModel("anchor-tiny", network, PreprocessingSpec.ImageNet(32), CPU);
    }

    private static string Fixture(string name) => Repository.File(Path.Combine("CamStudio.Tests", "Cam", "Fixtures", name));

    private static double MaxDiff(float[] x, float[] y) => x.Zip(y, (a, b) => Math.Abs(a - b)).Max();

    internal static double Pearson(IReadOnlyList<float> x, IReadOnlyList<float> y)
    {
        double mx = x.Average(v => (double)v), my = y.Average(v => (double)v), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
