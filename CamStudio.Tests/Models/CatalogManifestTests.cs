using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Catalog;

namespace CamStudio.Tests.Models;

public sealed class CatalogManifestTests
{
    private const string Minimal = """{ "name": "tiny", "format": "onnx", "file": "tiny.onnx" }""";

    [Fact]
    public void MinimalManifestGetsImageNetDefaults()
    {
        ModelManifest manifest = ModelManifest.Parse(Minimal, "model.json");
        Assert.Equal("tiny", manifest.Name);
        Assert.Equal(ModelFormat.Onnx, manifest.Format);
        Assert.Equal(224, manifest.InputSize);
        Assert.Equal([0.485f, 0.456f, 0.406f], manifest.Mean);
        Assert.Equal([0.229f, 0.224f, 0.225f], manifest.Std);
        Assert.Equal(ResizeMode.Stretch, manifest.Resize);
        Assert.Equal("auto", manifest.DefaultLayer);
        Assert.Null(manifest.Labels);
    }

    [Fact]
    public void FullManifestReadsEveryField()
    {
        const string json = """
            {
              "name": "resnet18-pets", "format": "torchvision", "architecture": "resnet18", "file": "w.pt",
              "labels": "pets.txt", "inputSize": 160, "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.5, 1],
              "resize": "centerCrop", "defaultLayer": "layer3", "license": "MIT", "source": "trained here",
              "sha256": "83530AD811BC31D2B60A5599A21265A5057608C9B044B4EE758CC22F2309F54F"
            }
            """;
        ModelManifest m = ModelManifest.Parse(json, "model.json");
        Assert.Equal(ModelFormat.TorchVision, m.Format);
        Assert.Equal("resnet18", m.Architecture);
        Assert.Equal("pets.txt", m.Labels);
        Assert.Equal(160, m.InputSize);
        Assert.Equal([0.25f, 0.5f, 1f], m.Std);
        Assert.Equal(ResizeMode.CenterCrop, m.Resize);
        Assert.Equal("layer3", m.DefaultLayer);
        Assert.Equal("83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f", m.Sha256);
        Assert.Equal(new PreprocessingSpec(160, 160, m.Mean, m.Std, ResizeMode.CenterCrop) with { Mean = m.Mean, Std = m.Std }, m.Preprocessing);
    }

    [Fact]
    public void WrittenManifestReadsBackEqual()
    {
        var original = new ModelManifest
        {
            Name = "m",
            Format = ModelFormat.TorchVision,
            Architecture = "densenet121",
            File = "w.safetensors",
            Labels = "l.txt",
            InputSize = 96,
            Mean = [0.1f, 0.2f, 0.3f],
            Std = [0.4f, 0.5f, 0.6f],
            Resize = ResizeMode.CenterCrop,
            DefaultLayer = "features",
            License = "x",
            Source = "y",
            Sha256 = new string('a', 64),
        };
        string json = original.ToJson();
        Assert.Contains("0.1,", json); // shortest float text, not 0.10000000149011612
        ModelManifest back = ModelManifest.Parse(json, "model.json");
        Assert.Equal(original.ToJson(), back.ToJson());
        Assert.Equal([0.1f, 0.2f, 0.3f], back.Mean);
    }

    [Theory]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "tiny.onnx", "colour": "red" }""", "unknown field 'colour'")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "tiny.onnx", "Name": "x" }""", "unknown field 'Name'")]
    [InlineData("""{ "format": "onnx", "file": "tiny.onnx" }""", "required field 'name' is missing")]
    [InlineData("""{ "name": "tiny", "file": "tiny.onnx" }""", "required field 'format' is missing")]
    [InlineData("""{ "name": "tiny", "format": "onnx" }""", "required field 'file' is missing")]
    [InlineData("""{ "name": "tiny", "format": "tflite", "file": "t" }""", "field 'format' is \"tflite\"")]
    [InlineData("""{ "name": "tiny", "format": "torchvision", "file": "w.pt" }""", "needs the field 'architecture'")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "architecture": "resnet18", "file": "t.onnx" }""", "only applies to \"torchvision\"")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "../../etc/passwd" }""", "field 'file' must be a plain file name")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "t.onnx", "inputSize": "224" }""", "field 'inputSize' must be a whole number")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "t.onnx", "inputSize": 22.5 }""", "field 'inputSize' must be a whole number")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "t.onnx", "mean": [0.5, 0.5] }""", "field 'mean' must be an array of 3 numbers")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "t.onnx", "std": [0.5, 0, 0.5] }""", "field 'std' has 0")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "t.onnx", "resize": "fill" }""", "field 'resize' is \"fill\"")]
    [InlineData("""{ "name": "tiny", "format": "onnx", "file": "t.onnx", "sha256": "abc" }""", "field 'sha256' must be 64 hexadecimal digits")]
    [InlineData("""{ "name": "../x", "format": "onnx", "file": "t.onnx" }""", "a model name must be")]
    [InlineData("""{ "name": "tiny", "name": "tiny", "format": "onnx", "file": "t.onnx" }""", "field 'name' appears twice")]
    [InlineData("""{ "name": 5, "format": "onnx", "file": "t.onnx" }""", "field 'name' must be a string, not a number")]
    [InlineData("""[1, 2]""", "must be a JSON object, not an array")]
    [InlineData("""{ "name": "tiny", "format": "onnx", """, "not valid JSON")]
    public void BadManifestIsAnErrorNamingTheFileAndTheField(string json, string expected)
    {
        var error = Assert.Throws<ModelCatalogException>(() => ModelManifest.Parse(json, "/models/tiny/model.json"));
        Assert.StartsWith("/models/tiny/model.json: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void UnknownFieldErrorListsTheKnownFields()
    {
        var error = Assert.Throws<ModelCatalogException>(() =>
            ModelManifest.Parse("""{ "name": "t", "format": "onnx", "file": "t.onnx", "labelz": "x" }""", "model.json"));
        Assert.Contains("known fields: name, format, architecture, file, labels, inputSize, mean, std, resize, defaultLayer, output, license, source, sha256", error.Message);
    }

    [Theory]
    [InlineData("mobilenetv2", true)]
    [InlineData("resnet18-pets_v1.2", true)]
    [InlineData("", false)]
    [InlineData(".hidden", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("..", false)]
    public void ModelNamesAreSafeFolderNames(string name, bool valid) => Assert.Equal(valid, ModelManifest.IsValidName(name));
}
