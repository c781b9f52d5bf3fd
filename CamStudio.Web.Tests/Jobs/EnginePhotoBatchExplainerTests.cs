using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using CamStudio.Engine.Maps;

namespace CamStudio.Tests.Jobs;

/// <summary>The job runner's bridge to the engine: batches, class parsing, failures, and no leaked tensors.</summary>
[Collection(TorchCollection.Name)]
public sealed class EnginePhotoBatchExplainerTests : IDisposable
{
    private readonly TorchExecutor _executor = new();
    private readonly LoadedModels _models;
    private readonly CamEngine _engine;
    private readonly EnginePhotoBatchExplainer _explainer;

    public EnginePhotoBatchExplainerTests()
    {
        _models = new LoadedModels(_executor, new ModelCatalog(TestModels.Directory));
        _engine = new CamEngine(_executor, _models);
        _explainer = new EnginePhotoBatchExplainer(_engine, Options.Create(new JobOptions()), new ConfigurationBuilder().Build());
    }

    private Task<PreparedJob> PrepareAsync(JobSettings settings) => _explainer.PrepareAsync(settings, "test", CancellationToken.None);

    private Task<IReadOnlyList<PhotoOutcome>> ExplainAsync(PreparedJob job, IReadOnlyList<string> photos) =>
        _explainer.ExplainBatchAsync(job, photos, null, CancellationToken.None);

    public void Dispose()
    {
        _engine.Dispose();
        _models.Dispose();
        _executor.Dispose();
    }

    [Fact]
    public async Task APhotoExplainedInABatchGetsTheSameMapsAsExplainedAlone()
    {
        string[] photos = [.. new[] { "cat.bmp", "dog.jpg", "owl.jpg", "coffee.png" }.Select(SharedResources.Image)];
        PreparedJob job = await PrepareAsync(new JobSettings("", ["gradcam", "hirescam"], "top2", "auto"));
        var together = await ExplainAsync(job, photos);
        for (int i = 0; i < photos.Length; i++)
        {
            var alone = Assert.IsType<PhotoOutcome.Explained>(Assert.Single(await ExplainAsync(job, [photos[i]])));
            var batched = Assert.IsType<PhotoOutcome.Explained>(together[i]);
            Assert.Equal(alone.Explanation.TopPredictions.Select(p => p.ClassIndex), batched.Explanation.TopPredictions.Select(p => p.ClassIndex));
            Assert.Equal(4, batched.Explanation.Maps.Count); // 2 classes × 2 methods
            Assert.Equal(batched.Explanation.Maps.Count, batched.OverlayPngs.Count);
            for (int m = 0; m < alone.Explanation.Maps.Count; m++)
            {
                CamMap a = alone.Explanation.Maps[m].Map.Map, b = batched.Explanation.Maps[m].Map.Map;
                var (am, bm) = (alone.Explanation.Maps[m], batched.Explanation.Maps[m]);
                Assert.Equal((am.Method, am.ClassIndex), (bm.Method, bm.ClassIndex));
                float scale = Math.Max(1e-6f, a.Raw.Max(Math.Abs));
                for (int k = 0; k < a.Raw.Length; k++)
                    Assert.True(Math.Abs(a.Raw[k] - b.Raw[k]) <= 1e-3f * scale, $"{Path.GetFileName(photos[i])} {am.Method} value {k}: {a.Raw[k]} alone, {b.Raw[k]} in a batch");
            }
        }
    }

    [Fact]
    public async Task AnUndecodablePhotoFailsWithItsReasonAndTheOthersAreExplained()
    {
        string broken = Path.Combine(Path.GetTempPath(), $"camstudio-broken-{Guid.NewGuid():N}.jpg");
        await File.WriteAllTextAsync(broken, "not a jpeg at all");
        try
        {
            PreparedJob job = await PrepareAsync(JobSettings.Default);
            var outcomes = await ExplainAsync(job, [SharedResources.Image("cat.bmp"), broken, SharedResources.Image("dog.jpg")]);
            Assert.IsType<PhotoOutcome.Explained>(outcomes[0]);
            var failed = Assert.IsType<PhotoOutcome.Failed>(outcomes[1]);
            Assert.Contains(Path.GetFileName(broken), failed.Reason);
            Assert.IsType<PhotoOutcome.Explained>(outcomes[2]);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public async Task BatchesLeaveNoTensorsBehind()
    {
        PreparedJob job = await PrepareAsync(JobSettings.Default);
        string[] photos = [SharedResources.Image("cat.bmp"), SharedResources.Image("owl.jpg")];
        await ExplainAsync(job, photos); // model loaded, caches warm
        // Counted on the torch thread, where every tensor of the explainer lives.
        long before = await _executor.RunAsync(_ => LiveTensors.OnThisThread());
        await ExplainAsync(job, photos);
        long after = await _executor.RunAsync(_ => LiveTensors.OnThisThread());
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task SettingsAreResolvedAgainstTheModel()
    {
        PreparedJob job = await PrepareAsync(JobSettings.Default);
        Assert.Equal(ModelCatalog.DefaultModelName, job.ModelName);
        Assert.Equal("83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f", job.ModelSha256);
        Assert.NotEqual("auto", job.Layer);

        var unknown = await Assert.ThrowsAsync<CamRequestException>(() => PrepareAsync(JobSettings.Default with { Model = "nosuchmodel" }));
        Assert.Contains("nosuchmodel", unknown.Message);
        Assert.Equal((CamRequestErrorKind.UnknownModel, CamRequestFields.Model), (unknown.Kind, unknown.Field));
        var layer = await Assert.ThrowsAsync<CamRequestException>(() => PrepareAsync(JobSettings.Default with { Layer = "nosuchlayer" }));
        Assert.Contains("nosuchlayer", layer.Message);
        Assert.Equal((CamRequestErrorKind.UnknownLayer, CamRequestFields.Layer), (layer.Kind, layer.Field));
    }

    // The syntax itself is tested in ClassSelectionParserTests; these check the jobs read classes with it.
    [Theory]
    [InlineData("TOP5", new int[0], 5)]
    [InlineData("tabby; 285", new[] { 281, 285 }, 0)]
    [InlineData("tabby, tabby cat", new[] { 281 }, 0)] // a whole ImageNet label, commas and all
    [InlineData("Egyptian cat;tiger cat;281", new[] { 285, 282, 281 }, 0)]
    public async Task ClassesAreTopKOrIndicesOrNames(string text, int[] indices, int k)
    {
        PreparedJob job = await PrepareAsync(JobSettings.Default with { Classes = text });
        if (k > 0)
            Assert.Equal(new ClassSelection.TopK(k), job.Classes);
        else
            Assert.Equal(indices, Assert.IsType<ClassSelection.Indices>(job.Classes).Classes);
    }

    [Theory]
    [InlineData("top0", "K must be between 1 and 1000")]
    [InlineData("1000", "out of range")]
    [InlineData("unicorn", "Unknown class 'unicorn'")]
    [InlineData("top3; tabby", "mix top3 with other classes")]
    public async Task BadClassesSayWhatIsWrong(string text, string expected)
    {
        var error = await Assert.ThrowsAsync<CamRequestException>(() => PrepareAsync(JobSettings.Default with { Classes = text }));
        Assert.Contains(expected, error.Message);
    }
}
