using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class CliSharedScaleTests : IDisposable
{
    private readonly CliModels _models = CliModels.Shared;
    private readonly TempFolder _temp = new("camstudio-cli-shared-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SharedScalePutsEachMethodsMapsOfAPhotoOnOneRangeWhileOwnScaleStretchesEach()
    {
        Assert.True(_models.AddMobileNet.ExitCode == 0, _models.AddMobileNet.ToString());
        string own = _temp.Combine("own"), shared = _temp.Combine("shared");
        string[] common = ["explain", SharedResources.Image("both.png"), "--class", "243,282", "--method", "gradcam,eigencam"];
        CliRun ownRun = CliRun.Invoke(_models.ModelsDir, [.. common, "--out", own]);
        CliRun sharedRun = CliRun.Invoke(_models.ModelsDir, [.. common, "--out", shared, "--shared-scale"]);
        Assert.True(ownRun.ExitCode == 0, ownRun.ToString());
        Assert.True(sharedRun.ExitCode == 0, sharedRun.ToString());

        string[] maps = ["both.gradcam.243.npy", "both.gradcam.282.npy", "both.eigencam.243.npy", "both.eigencam.282.npy"];
        var ownMaps = maps.ToDictionary(m => m, m => CliExplainTests.ReadNpyIndependently(Path.Combine(own, m)).Values);
        var sharedMaps = maps.ToDictionary(m => m, m => CliExplainTests.ReadNpyIndependently(Path.Combine(shared, m)).Values);

        // Own scale: each map spans [0, 1] by itself.
        Assert.All(ownMaps.Values, v => Assert.Equal((0f, 1f), (v.Min(), v.Max())));
        // Shared scale, one range per method: each method's maps together span [0, 1] (Eigen-CAM's large raw values
        // never squash Grad-CAM's), while within Grad-CAM the weaker class stays below the top of the range.
        foreach (string method in new[] { "gradcam", "eigencam" })
        {
            var ofMethod = sharedMaps.Where(m => m.Key.Contains($".{method}.")).Select(m => m.Value).ToList();
            Assert.Equal(0f, ofMethod.Min(v => v.Min()), 1e-5);
            Assert.Equal(1f, ofMethod.Max(v => v.Max()), 1e-5);
        }
        Assert.Contains(sharedMaps.Where(m => m.Key.Contains(".gradcam.")).Select(m => m.Value), v => v.Max() < 0.999f);

        // Both are affine in the raw map (own = (raw − min)/(max − min), shared = (raw − lo)/(hi − lo)), so each
        // shared map is an affine image of its own-scale map: check that relation pixel by pixel.
        foreach (string map in maps)
        {
            float[] o = ownMaps[map], s = sharedMaps[map];
            int low = Array.IndexOf(o, 0f), high = Array.IndexOf(o, 1f);
            float slope = s[high] - s[low], offset = s[low];
            for (int i = 0; i < o.Length; i += 97)
                Assert.Equal(offset + slope * o[i], s[i], 1e-3);
        }
    }
}
