using CamStudio.Engine.Models.Catalog;
using CamStudio.Tests.Cli;

namespace CamStudio.Tests.Models;

public sealed class CatalogFolderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void CommandLineWinsOverEnvironmentAndAppSettings()
    {
        ModelsFolder folder = ModelsFolder.Resolve("/cli/models", "/settings/models", _ => "/env/models");
        Assert.Equal(new ModelsFolder("/cli/models", ModelsFolderSource.CommandLine), folder);
    }

    [Fact]
    public void EnvironmentVariableWinsOverAppSettings()
    {
        ModelsFolder folder = ModelsFolder.Resolve(null, "/settings/models", name => name == "CAMSTUDIO_MODELS" ? "/env/models" : null);
        Assert.Equal(new ModelsFolder("/env/models", ModelsFolderSource.EnvironmentVariable), folder);
    }

    [Fact]
    public void AppSettingsAreUsedWhenNothingElseIsSet()
    {
        ModelsFolder folder = ModelsFolder.Resolve(" ", "/settings/models", _ => "");
        Assert.Equal(new ModelsFolder("/settings/models", ModelsFolderSource.AppSettings), folder);
    }

    [Fact]
    public void PerUserDataFolderIsTheLastResort()
    {
        ModelsFolder folder = ModelsFolder.Resolve(null, null, _ => null);
        string expected = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "camstudio", "models");
        Assert.Equal(new ModelsFolder(expected, ModelsFolderSource.UserData), folder);
    }

    [Fact]
    public void MissingFolderListsNoModels()
    {
        var catalog = new ModelCatalog(_temp.Combine("does-not-exist"));
        Assert.Empty(catalog.List());
        Assert.Null(catalog.Find("mobilenetv2"));
    }

    [Fact]
    public void BrokenManifestIsListedWithItsReasonAndDoesNotHideTheOthers()
    {
        WriteModel("good", """{ "name": "good", "format": "onnx", "file": "good.onnx", "labels": "labels.txt" }""", "good.onnx", "labels.txt");
        WriteModel("typo", """{ "name": "typo", "format": "onnx", "file": "typo.onnx", "lables": "labels.txt" }""", "typo.onnx");
        WriteModel("nofile", """{ "name": "nofile", "format": "onnx", "file": "gone.onnx" }""");
        WriteModel("renamed", """{ "name": "other", "format": "onnx", "file": "r.onnx" }""", "r.onnx");
        WriteModel("nolabels", """{ "name": "nolabels", "format": "onnx", "file": "n.onnx", "labels": "missing.txt" }""", "n.onnx");
        Directory.CreateDirectory(_temp.Combine("models", "empty"));
        Directory.CreateDirectory(_temp.Combine("models", ".adding-good-123"));

        var catalog = new ModelCatalog(_temp.Combine("models"));
        var entries = catalog.List();

        Assert.Equal(["empty", "good", "nofile", "nolabels", "renamed", "typo"], entries.Select(e => e.Name));
        CatalogEntry good = entries.Single(e => e.Name == "good");
        Assert.True(good.IsUsable);
        Assert.Equal("ok", good.Status);
        Assert.Equal(3, good.ClassCount);
        Assert.Contains("unknown field 'lables'", entries.Single(e => e.Name == "typo").Problem);
        Assert.Contains("its file 'gone.onnx' is missing", entries.Single(e => e.Name == "nofile").Problem);
        Assert.Contains("field 'name' is \"other\" but the folder is 'renamed'", entries.Single(e => e.Name == "renamed").Problem);
        Assert.Contains("labels file 'missing.txt' is missing", entries.Single(e => e.Name == "nolabels").Problem);
        Assert.Contains("no model.json", entries.Single(e => e.Name == "empty").Problem);
        Assert.StartsWith("broken: ", entries.Single(e => e.Name == "typo").Status);
    }

    [Fact]
    public void FindIgnoresCaseWhenOnlyOneFolderMatches()
    {
        WriteModel("MobileNet", """{ "name": "MobileNet", "format": "onnx", "file": "m.onnx" }""", "m.onnx");
        var catalog = new ModelCatalog(_temp.Combine("models"));
        Assert.Equal("MobileNet", catalog.Find("mobilenet")?.Name);
        Assert.Null(catalog.Find("mobile"));
    }

    [Fact]
    public void GettingAMissingModelSaysExactlyHowToAddOne()
    {
        var catalog = new ModelCatalog(new ModelsFolder(_temp.Combine("models"), ModelsFolderSource.EnvironmentVariable));
        var error = Assert.Throws<ModelCatalogException>(() => catalog.Get("mobilenetv2"));
        Assert.Contains("No model named 'mobilenetv2'", error.Message);
        Assert.Contains(_temp.Combine("models") + " (from CAMSTUDIO_MODELS)", error.Message);
        Assert.Contains("camstudio models pull mobilenetv2", error.Message);
        Assert.Contains("camstudio models add FILE.onnx --labels LABELS.txt --name mobilenetv2", error.Message);
        Assert.Contains("CAMSTUDIO_MODELS", error.Message);
    }

    [Fact]
    public void GettingABrokenModelGivesItsReason()
    {
        WriteModel("typo", """{ "name": "typo", "format": "onnx", "file": "t.onnx", "extra": 1 }""", "t.onnx");
        var catalog = new ModelCatalog(_temp.Combine("models"));
        var error = Assert.Throws<ModelCatalogException>(() => catalog.Get("typo"));
        Assert.Contains("is broken", error.Message);
        Assert.Contains("unknown field 'extra'", error.Message);
    }

    [Fact]
    public void RemoveDeletesOnlyThatModel()
    {
        WriteModel("a", """{ "name": "a", "format": "onnx", "file": "a.onnx" }""", "a.onnx");
        WriteModel("b", """{ "name": "b", "format": "onnx", "file": "b.onnx" }""", "b.onnx");
        var catalog = new ModelCatalog(_temp.Combine("models"));
        Assert.True(catalog.Remove("a"));
        Assert.False(catalog.Remove("a"));
        Assert.Equal(["b/", "b/b.onnx 1 " + Sha("x"), "b/model.json"], TempFolder.Snapshot(_temp.Combine("models")).Select(s => s.StartsWith("b/model.json") ? "b/model.json" : s));
    }

    [Fact]
    public void LabelsFileWithAnEmptyLineInTheMiddleIsRejected()
    {
        string path = _temp.WriteText("labels.txt", "cat\n\ndog\n");
        var error = Assert.Throws<ModelCatalogException>(() => ClassLabelsFile.Read(path));
        Assert.Contains("line 2 is empty", error.Message);
        Assert.Equal(["cat", "dog"], ClassLabelsFile.Read(_temp.WriteText("ok.txt", "cat\r\ndog\r\n\r\n")));
    }

    private static string Sha(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private void WriteModel(string folder, string manifest, params string[] files)
    {
        _temp.WriteText(Path.Combine("models", folder, "model.json"), manifest);
        foreach (string file in files)
            _temp.WriteText(Path.Combine("models", folder, file), file.EndsWith(".txt") ? "a\nb\nc\n" : "x");
    }
}
