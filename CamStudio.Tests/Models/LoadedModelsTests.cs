using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Cli;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Models;

/// <summary>The app's one cache of loaded catalog models, shared by the studio and batch jobs.</summary>
[Collection(TorchCollection.Name)]
public sealed class LoadedModelsTests : IDisposable
{
    private const string MobileNetSha256 = "83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f";

    private readonly TorchExecutor _executor = new();
    private readonly TempFolder _folder = new("camstudio-loaded-models-");

    public void Dispose()
    {
        _executor.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task ConcurrentRequestsForOneModelShareOneLoadOnTheTorchThread()
    {
        var threads = new List<bool>();
        using var models = new LoadedModels(_executor, new ModelCatalog(TestModels.Directory),
            (_, _) => { lock (threads) threads.Add(_executor.IsTorchThread); });

        LoadedModel[] loaded = await Task.WhenAll(
            models.GetAsync("mobilenetv2", CancellationToken.None),
            models.GetAsync("MobileNetV2", CancellationToken.None),
            models.GetAsync("mobilenetv2", CancellationToken.None));
        LoadedModel later = await models.GetAsync("mobilenetv2", CancellationToken.None);

        Assert.Equal([true], threads); // loaded once, on the torch thread
        Assert.All(loaded, l => Assert.Same(loaded[0].Model, l.Model));
        Assert.Same(loaded[0].Model, later.Model);
        Assert.Equal("mobilenetv2", loaded[0].Name);
        Assert.Equal(MobileNetSha256, loaded[0].Sha256);
        Assert.Equal(1000, loaded[0].Model.Labels.Count);
    }

    [Fact]
    public async Task AMissingModelIsAMissingModelErrorSayingHowToAddOne()
    {
        using var models = new LoadedModels(_executor, new ModelCatalog(TestModels.Directory));

        var error = await Assert.ThrowsAsync<ModelCatalogException>(() => models.GetAsync("nosuchmodel", CancellationToken.None));

        Assert.Equal(ModelCatalogErrorKind.MissingModel, error.Kind);
        Assert.Contains("'nosuchmodel'", error.Message);
        Assert.Contains("camstudio models add", error.Message);
    }

    [Fact]
    public async Task AModelFolderWithoutAManifestIsABrokenModelError()
    {
        Directory.CreateDirectory(_folder.Combine("empty"));
        using var models = new LoadedModels(_executor, new ModelCatalog(_folder.Path));

        var error = await Assert.ThrowsAsync<ModelCatalogException>(() => models.GetAsync("empty", CancellationToken.None));

        Assert.Equal(ModelCatalogErrorKind.BrokenModel, error.Kind);
        Assert.StartsWith("Model 'empty' is broken: ", error.Message);
    }

    [Fact]
    public async Task AFailedLoadIsNotCachedSoTheRepairedModelLoads()
    {
        string copy = _folder.Combine("mobilenetv2");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.EnumerateFiles(Path.Combine(TestModels.Directory, "mobilenetv2")))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        string modelFile = Directory.EnumerateFiles(copy, "*.onnx").Single();
        byte[] good = await File.ReadAllBytesAsync(modelFile);
        await File.WriteAllTextAsync(modelFile, "not an onnx model");
        using var models = new LoadedModels(_executor, new ModelCatalog(_folder.Path));

        var error = await Assert.ThrowsAsync<ModelCatalogException>(() => models.GetAsync("mobilenetv2", CancellationToken.None));
        Assert.Equal(ModelCatalogErrorKind.Other, error.Kind);
        Assert.Contains(modelFile, error.Message);

        await File.WriteAllBytesAsync(modelFile, good);
        LoadedModel loaded = await models.GetAsync("mobilenetv2", CancellationToken.None);
        Assert.Equal(MobileNetSha256, loaded.Sha256);
    }

    [Fact]
    public async Task AfterDisposeNoModelIsHandedOut()
    {
        var models = new LoadedModels(_executor, new ModelCatalog(TestModels.Directory));
        await models.GetAsync("mobilenetv2", CancellationToken.None);

        models.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => models.GetAsync("mobilenetv2", CancellationToken.None));
    }
}
