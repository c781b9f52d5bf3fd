using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Tests.Cli;
using CamStudio.Tests.Support;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CamStudio.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class CatalogAddTests : IClassFixture<ResNetWeightsFixture>, IDisposable
{
    private const string SharedSha256 = "83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f";

    private readonly ResNetWeightsFixture _resnet;
    private readonly TempFolder _temp = new();
    private readonly ModelCatalog _catalog;

    public CatalogAddTests(ResNetWeightsFixture resnet)
    {
        _resnet = resnet;
        _catalog = new ModelCatalog(ModelsDir);
    }

    public void Dispose() => _temp.Dispose();

    private string ModelsDir => _temp.Combine("models");

    [Fact]
    public void AddingTheSharedOnnxModelWritesItsManifestAndLoadsWithItsLabels()
    {
        AddModelResult result = _catalog.Add(SharedResources.Model, new AddModelOptions { Labels = SharedResources.ImageNetLabels, Name = "mobilenetv2" });

        Assert.True(result.Added);
        Assert.False(result.Replaced);
        Assert.Equal(["mobilenetv2/", "mobilenetv2/imagenet_classes.txt", "mobilenetv2/mobilenetv2-12-int8.onnx", "mobilenetv2/model.json"],
            TempFolder.Snapshot(ModelsDir).Select(e => e.Split(' ')[0]));
        CatalogEntry entry = Assert.Single(_catalog.List());
        Assert.Equal("ok", entry.Status);
        Assert.Equal(1000, entry.ClassCount);
        ModelManifest manifest = entry.Manifest!;
        Assert.Equal((ModelFormat.Onnx, "mobilenetv2-12-int8.onnx", "imagenet_classes.txt", SharedSha256),
            (manifest.Format, manifest.File, manifest.Labels, manifest.Sha256));
        Assert.Equal(manifest.ToJson(), File.ReadAllText(Path.Combine(entry.Directory, "model.json")));

        using ICamModel model = _catalog.Load("mobilenetv2", CPU);
        Assert.Equal(1000, model.Labels.Count);
        Assert.Equal("tench, Tinca tinca", model.Labels[0]);
        Assert.Equal("mobilenetv2", model.Name);
    }

    [Fact]
    public void AddingTorchVisionWeightsValidatesThemAndLoadsAModuleModel()
    {
        AddModelResult result = _catalog.Add(_resnet.WeightsPath, new AddModelOptions
        {
            Architecture = "resnet18",
            Labels = _resnet.LabelsPath,
            InputSize = 64,
            Resize = ResizeMode.CenterCrop,
        });

        Assert.Equal("resnet18-pets", result.Entry.Name);
        Assert.Equal((ModelFormat.TorchVision, "resnet18", 64, ResizeMode.CenterCrop),
            (result.Entry.Manifest!.Format, result.Entry.Manifest.Architecture, result.Entry.Manifest.InputSize, result.Entry.Manifest.Resize));
        using ICamModel model = _catalog.Load("resnet18-pets", CPU);
        Assert.IsType<ModuleCamModel>(model);
        Assert.Equal(ResNetWeightsFixture.ClassNames, model.Labels);
        Assert.Equal("layer4", model.AutoLayer);
        Assert.Equal(64, model.Preprocessing.InputWidth);
    }

    [Fact]
    public void DenseNetWeightsAreAddedByArchitectureNameAndMapTheirFeatures()
    {
        string weights = _temp.Combine("in", "densenet121-birds.pt");
        Directory.CreateDirectory(Path.GetDirectoryName(weights)!);
        using (var network = DenseNet.DenseNet121(numClasses: 3))
            network.save_py(weights);

        AddModelResult result = _catalog.Add(weights, new AddModelOptions { Architecture = "densenet121", InputSize = 64 });

        Assert.Equal(("densenet121-birds", "densenet121"), (result.Entry.Name, result.Entry.Manifest!.Architecture));
        using ICamModel model = _catalog.Load("densenet121-birds", CPU);
        Assert.Equal(3, model.Labels.Count);
        Assert.Equal("features", model.AutoLayer);
        Assert.Equal(new long[] { 1, 1024, 2, 2 }, model.Layers.Single(l => l.Name == "features").Shape);
        Assert.NotNull(model.HeadAfter("features"));
    }

    [Fact]
    public void TruncatedOnnxIsRejectedAndLeavesTheFolderAsItWas()
    {
        AddOtherModel();
        byte[] bytes = File.ReadAllBytes(SharedResources.Model);
        string truncated = _temp.WriteBytes("in/truncated.onnx", bytes[..(bytes.Length / 2)]);
        var before = TempFolder.Snapshot(ModelsDir);

        var error = Assert.Throws<ModelCatalogException>(() => _catalog.Add(truncated, new AddModelOptions { Labels = SharedResources.ImageNetLabels }));

        Assert.Contains("truncated.onnx", error.Message);
        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));
    }

    [Fact]
    public void MalformedOnnxIsRejectedWithoutCreatingTheModelsFolder()
    {
        string garbage = _temp.WriteText("in/garbage.onnx", "this is not a protobuf model, just text\n");
        var error = Assert.Throws<ModelCatalogException>(() => _catalog.Add(garbage, new AddModelOptions()));
        Assert.Contains("garbage.onnx", error.Message);
        Assert.False(Directory.Exists(ModelsDir));
    }

    [Fact]
    public void LabelsCountDifferentFromTheModelOutputsIsRejected()
    {
        AddOtherModel();
        string labels = _temp.WriteText("in/999.txt", string.Join("\n", File.ReadAllLines(SharedResources.ImageNetLabels).Take(999)));
        var before = TempFolder.Snapshot(ModelsDir);

        var error = Assert.Throws<ModelCatalogException>(() => _catalog.Add(SharedResources.Model, new AddModelOptions { Labels = labels }));

        Assert.Equal($"Labels file '{labels}' has 999 class names but model '{SharedResources.Model}' outputs 1000 classes.", error.Message);
        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));
    }

    [Fact]
    public void TorchVisionLabelsCountDifferentFromTheClassifierIsRejected()
    {
        string labels = _temp.WriteText("in/4.txt", "a\nb\nc\nd\n");
        var error = Assert.Throws<ModelCatalogException>(() =>
            _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet18", Labels = labels, InputSize = 64 }));
        Assert.Contains("has 4 class names but model", error.Message);
        Assert.Contains("outputs 5 classes", error.Message);
        Assert.False(Directory.Exists(ModelsDir));
    }

    [Fact]
    public void WeightsOfAnotherArchitectureAreRejectedNamingTheFile()
    {
        var error = Assert.Throws<ModelCatalogException>(() =>
            _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet34", InputSize = 64 }));
        Assert.Contains("resnet18-pets.pt", error.Message);
        Assert.False(Directory.Exists(ModelsDir));
    }

    [Theory]
    [InlineData("missing.onnx", null, null, "Model file '{in}/missing.onnx' does not exist.")]
    [InlineData("model.onnx", "missing.txt", null, "Labels file '{in}/missing.txt' does not exist.")]
    [InlineData("weights.pt", null, null, "is a weights file: say which torchvision architecture it is for with --arch NAME")]
    [InlineData("weights.pt", null, "resnet9000", "Unknown architecture 'resnet9000'. Known: ")]
    [InlineData("model.onnx", null, "resnet18", "is an ONNX model; --arch only applies to weights files")]
    [InlineData("model.tflite", null, null, "Cannot tell what '{in}/model.tflite' is from its extension '.tflite'")]
    public void BadAddArgumentsAreRejectedBeforeAnythingIsWritten(string file, string? labels, string? architecture, string expected)
    {
        AddOtherModel();
        string input = _temp.Combine("in");
        _temp.WriteText("in/model.onnx", "x");
        _temp.WriteText("in/weights.pt", "x");
        _temp.WriteText("in/model.tflite", "x");
        var before = TempFolder.Snapshot(ModelsDir);

        var error = Assert.Throws<ModelCatalogException>(() => _catalog.Add(Path.Combine(input, file), new AddModelOptions
        {
            Labels = labels is null ? null : Path.Combine(input, labels),
            Architecture = architecture,
        }));

        Assert.Contains(expected.Replace("{in}", input), error.Message);
        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));
    }

    [Fact]
    public void DuplicateNameIsRefusedUnlessForcedAndIfMissingKeepsTheExistingModel()
    {
        _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet18", Name = "pets", InputSize = 64 });
        var before = TempFolder.Snapshot(ModelsDir);

        var error = Assert.Throws<ModelCatalogException>(() =>
            _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet18", Name = "pets", InputSize = 96 }));
        Assert.Contains("A model named 'pets' already exists", error.Message);
        Assert.Contains("--force", error.Message);
        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));

        AddModelResult kept = _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet18", Name = "PETS", InputSize = 96, IfMissing = true });
        Assert.False(kept.Added);
        Assert.Equal(64, kept.Entry.Manifest!.InputSize);
        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));

        AddModelResult replaced = _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet18", Name = "pets", InputSize = 96, Force = true });
        Assert.True(replaced.Replaced);
        Assert.Equal(96, Assert.Single(_catalog.List()).Manifest!.InputSize);
        Assert.DoesNotContain(Directory.GetDirectories(ModelsDir), d => Path.GetFileName(d).StartsWith('.'));
    }

    [Fact]
    public void ForcedReplacementWithABadFileLeavesTheExistingModelUntouched()
    {
        _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet18", Name = "pets", InputSize = 64 });
        string broken = _temp.WriteBytes("in/broken.pt", File.ReadAllBytes(_resnet.WeightsPath)[..1000]);
        var before = TempFolder.Snapshot(ModelsDir);

        Assert.Throws<ModelCatalogException>(() =>
            _catalog.Add(broken, new AddModelOptions { Architecture = "resnet18", Name = "pets", Force = true }));

        Assert.Equal(before, TempFolder.Snapshot(ModelsDir));
    }

    [Fact]
    public void ModelWhoseFileChangedAfterItWasAddedFailsItsChecksumOnLoad()
    {
        _catalog.Add(_resnet.WeightsPath, new AddModelOptions { Architecture = "resnet18", Name = "pets", InputSize = 64 });
        string weights = Path.Combine(ModelsDir, "pets", "resnet18-pets.pt");
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[^100] ^= 0x40;
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<ModelCatalogException>(() => _catalog.Load("pets", CPU));
        Assert.Contains($"{weights} has SHA-256 {ModelCatalog.Sha256Of(weights)} but its model.json says", error.Message);
    }

    [Fact]
    public void ArchitectureWithWeightsLoadsWithoutTheCatalog()
    {
        using ICamModel model = _catalog.Load("resnet18", CPU, _resnet.WeightsPath);
        Assert.Equal(5, model.Labels.Count);
        Assert.Equal("class 0", model.Labels[0]);

        var noWeights = Assert.Throws<ModelCatalogException>(() => _catalog.Load("resnet18", CPU));
        Assert.Contains("give its weights with --weights FILE", noWeights.Message);
        var notArchitecture = Assert.Throws<ModelCatalogException>(() => _catalog.Load("pets", CPU, _resnet.WeightsPath));
        Assert.Contains("--weights needs --model to be a torchvision architecture, not 'pets'", notArchitecture.Message);
        var missingFile = Assert.Throws<ModelCatalogException>(() => _catalog.Load("nowhere/model.onnx", CPU));
        Assert.Equal("Model file 'nowhere/model.onnx' does not exist.", missingFile.Message);
    }

    private void AddOtherModel()
    {
        _temp.WriteText("models/other/model.json", """{ "name": "other", "format": "onnx", "file": "o.onnx" }""");
        _temp.WriteText("models/other/o.onnx", "x");
    }
}
