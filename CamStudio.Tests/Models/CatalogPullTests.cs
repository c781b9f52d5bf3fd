using CamStudio.Engine.Models.Catalog;
using CamStudio.Tests.Cli;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class CatalogPullTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly LocalFileServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        _temp.Dispose();
    }

    private string ModelsDir => _temp.Combine("models");

    [Fact]
    public async Task CorruptedDownloadIsRejectedWithShaMismatchAndLeavesNothingBehind()
    {
        byte[] model = File.ReadAllBytes(SharedResources.Model);
        model[model.Length / 2] ^= 0x01;
        _server.Serve("zoo/mobilenetv2-12-int8.onnx", model);
        _server.Serve("zoo/imagenet_classes.txt", File.ReadAllBytes(SharedResources.ImageNetLabels));
        var before = TempFolder.Snapshot(ModelsDir);

        var puller = new ModelPuller(new ModelCatalog(ModelsDir));
        var error = await Assert.ThrowsAsync<ModelCatalogException>(() => puller.PullAsync("mobilenetv2", _server.UriOf("zoo/")));

        Assert.Contains("SHA-256 mismatch for mobilenetv2-12-int8.onnx", error.Message);
        Assert.Contains("expected 83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f", error.Message);
        Assert.Contains(_server.UriOf("zoo/mobilenetv2-12-int8.onnx").ToString(), error.Message);
        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));
    }

    [Fact]
    public async Task CorruptedDownloadLeavesAnExistingModelsFolderUnchanged()
    {
        _temp.WriteText("models/other/model.json", """{ "name": "other", "format": "onnx", "file": "o.onnx" }""");
        _temp.WriteText("models/other/o.onnx", "x");
        byte[] model = File.ReadAllBytes(SharedResources.Model);
        model[^1] ^= 0x80;
        _server.Serve("mobilenetv2-12-int8.onnx", model);
        var before = TempFolder.Snapshot(ModelsDir);

        var puller = new ModelPuller(new ModelCatalog(ModelsDir));
        await Assert.ThrowsAsync<ModelCatalogException>(() => puller.PullAsync("mobilenetv2", _server.BaseUri));

        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));
    }

    [Fact]
    public async Task MissingFileOnTheServerIsAClearError()
    {
        var puller = new ModelPuller(new ModelCatalog(ModelsDir));
        var error = await Assert.ThrowsAsync<ModelCatalogException>(() => puller.PullAsync("mobilenetv2", _server.UriOf("nothing/")));
        Assert.Contains($"Could not download {_server.UriOf("nothing/mobilenetv2-12-int8.onnx")}: the server answered 404", error.Message);
        Assert.False(Directory.Exists(ModelsDir));
    }

    [Fact]
    public async Task LabelsWithTheWrongCountAreRejectedBeforeAnythingIsAdded()
    {
        _server.Serve("mobilenetv2-12-int8.onnx", File.ReadAllBytes(SharedResources.Model));
        _server.Serve("imagenet_classes.txt", "background\n"u8.ToArray().Concat(File.ReadAllBytes(SharedResources.ImageNetLabels)).ToArray());
        var puller = new ModelPuller(new ModelCatalog(ModelsDir));

        var error = await Assert.ThrowsAsync<ModelCatalogException>(() => puller.PullAsync("mobilenetv2", _server.BaseUri));

        Assert.Contains("have 1001 class names, expected 1000", error.Message);
        Assert.False(Directory.Exists(ModelsDir));
    }

    [Fact]
    public async Task GoodDownloadIsVerifiedAddedWithItsLabelsAndNotDownloadedAgain()
    {
        _server.Serve("mirror/mobilenetv2-12-int8.onnx", File.ReadAllBytes(SharedResources.Model));
        _server.Serve("mirror/imagenet_classes.txt", File.ReadAllBytes(SharedResources.ImageNetLabels));
        var catalog = new ModelCatalog(ModelsDir);
        var puller = new ModelPuller(catalog);
        bool ranThroughRunner = false;

        AddModelResult result = await puller.PullAsync("mobilenetv2", _server.UriOf("mirror"), new PullOptions
        {
            RunAdd = add => { ranThroughRunner = true; return Task.FromResult(add()); },
        });

        Assert.True(result.Added);
        Assert.True(ranThroughRunner);
        CatalogEntry entry = Assert.Single(catalog.List());
        Assert.Equal(("mobilenetv2", "ok", 1000), (entry.Name, entry.Status, entry.ClassCount));
        Assert.Equal("83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f", entry.Manifest!.Sha256);
        Assert.Equal(_server.UriOf("mirror/mobilenetv2-12-int8.onnx").ToString(), entry.Manifest.Source);
        Assert.Equal(["mirror/mobilenetv2-12-int8.onnx", "mirror/imagenet_classes.txt"], _server.Requests);
        Assert.DoesNotContain(Directory.GetDirectories(ModelsDir), d => Path.GetFileName(d).StartsWith('.'));

        AddModelResult again = await puller.PullAsync("mobilenetv2", _server.UriOf("mirror"));
        Assert.False(again.Added);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public void DefaultAddressesAreTheOnnxModelZooFileAndImageNetLabels()
    {
        PullableModel model = ModelPuller.Known["mobilenetv2"];
        Assert.Equal("https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx", model.ModelUri.ToString());
        Assert.Equal(1000, model.ClassCount);
    }

    [Fact]
    public async Task UnknownModelCannotBePulled()
    {
        var puller = new ModelPuller(new ModelCatalog(ModelsDir));
        var error = await Assert.ThrowsAsync<ModelCatalogException>(() => puller.PullAsync("resnet9000", _server.BaseUri));
        Assert.Contains("No model named 'resnet9000' can be pulled; known: mobilenetv2", error.Message);
        Assert.Empty(_server.Requests);
    }
}
