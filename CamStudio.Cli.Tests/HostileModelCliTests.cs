using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Onnx;
using CamStudio.Tests.Support;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cli;

/// <summary>The built <c>camstudio</c> on hostile models (made by <see cref="HostileModelTests"/>): one escaped line, exit code 1, nothing left behind.</summary>
public sealed class HostileModelCliTests : IDisposable
{
    private readonly TempFolder _temp = new("camstudio-hostile-cli-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void BuiltCliReportsTheWrongShapedModelOnOneLineWithExitCodeOne()
    {
        string path = _temp.WriteBytes("wrong.onnx", HostileModelTests.Classifier(6));
        string models = _temp.Combine("models");

        var add = CliProcessTests.RunCamstudio(models, "models", "add", path, "--models-dir", models);
        Assert.True(add.ExitCode == 1, add.Error + add.Output);
        Assert.Equal($"camstudio: wrong.onnx: {HostileModelTests.WrongShapeError}\n", add.Error);
        Assert.False(Directory.Exists(models) && Directory.EnumerateFileSystemEntries(models).Any(), "models add left something behind");

        var explain = CliProcessTests.RunCamstudio(models, "explain", SharedResources.Image("cat.bmp"), "--model", path, "--out", _temp.Combine("out"));
        Assert.True(explain.ExitCode == 1, explain.Error + explain.Output);
        Assert.Equal($"camstudio: wrong.onnx: {HostileModelTests.WrongShapeError}\n", explain.Error);
    }

    [Fact]
    public void NamesWithTerminalEscapesAreEscapedInErrorsAndInTheLayersListing()
    {
        string evil = "act\u001b[2J\u001b]0;owned\u0007\nfake";
        string escaped = "act\\u001b[2J\\u001b]0;owned\\u0007\\nfake";
        string path = _temp.WriteBytes("escapes.onnx", HostileModelTests.Classifier(8, activation: evil));

        var layers = CliProcessTests.RunCamstudio(null, "layers", "--model", path);
        Assert.True(layers.ExitCode == 0, layers.Error + layers.Output);
        Assert.DoesNotContain('\u001b', layers.Output);
        Assert.DoesNotContain('\u0007', layers.Output);
        string[] lines = layers.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length); // header, x, the escaped name, r, g, f, logits, the auto rule
        Assert.StartsWith($"  {escaped} ", lines[2]);

        string bad = _temp.WriteBytes("bad-escapes.onnx", HostileModelTests.Classifier(6, classifier: evil));
        var ex = Assert.Throws<OnnxImportException>(() => OnnxCamModel.Load(bad, null, PreprocessingSpec.ImageNet(), CPU).Dispose());
        Assert.Equal($"bad-escapes.onnx: node '{escaped}' (MatMul): input shapes 1×8 and 6×5 do not match.", ex.Message);
    }
}
