using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

[Collection(TorchCollection.Name)]
public sealed class CliModelsTests : IDisposable
{
    private readonly CliModels _models = CliModels.Shared;
    private readonly TempFolder _temp = new("camstudio-cli-models-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ModelsAddReportsWhatItAdded()
    {
        Assert.True(_models.AddPets.ExitCode == 0, _models.AddPets.ToString());
        Assert.Equal($"Added 'pets' (torchvision resnet18, 5 classes, input 64) in {_models.ModelsDir}.", _models.AddPets.Out.Trim());
        Assert.Equal($"Added 'mobilenetv2' (onnx, 1000 classes, input 224) in {_models.ModelsDir}.", _models.AddMobileNet.Out.Trim());
        Assert.Empty(_models.AddMobileNet.Error);
    }

    [Fact]
    public void ModelsListsEveryModelWithFormatClassesSourceAndStatus()
    {
        string dir = CopyOfSharedModels();
        _temp.WriteText("models/typo/model.json", """{ "name": "typo", "format": "onnx", "file": "t.onnx", "colour": "red" }""");

        CliRun run = CliRun.Invoke(dir, "models");

        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
        Assert.Equal($"Models folder: {dir} (from CAMSTUDIO_MODELS)", lines[0]);
        Assert.Matches("^NAME +FORMAT +CLASSES +SOURCE +STATUS$", lines[1]);
        Assert.Matches($"^mobilenetv2 +onnx +1000 +{SharedResources.Model} +ok$", lines[2]);
        Assert.Matches(@"^pets +torchvision \(resnet18\) +5 +.*resnet18-pets\.pt +ok$", lines[3]);
        Assert.Matches("^typo +\\? +- +- +broken: .*unknown field 'colour'", lines[5]);
    }

    [Fact]
    public void AddIfMissingSucceedsQuietlyWhenTheModelIsThere()
    {
        string dir = CopyOfSharedModels();
        var before = TempFolder.Snapshot(dir);

        CliRun run = CliRun.Invoke(dir, "models", "add", SharedResources.Model, "--labels", SharedResources.ImageNetLabels, "--name", "mobilenetv2", "--if-missing");

        Assert.Equal(new CliRun(0, "", ""), run);
        Assert.Equal(before, TempFolder.Snapshot(dir));
    }

    [Fact]
    public void DuplicateNameIsRefusedWithoutForce()
    {
        string dir = CopyOfSharedModels();
        var before = TempFolder.Snapshot(dir);

        CliRun run = CliRun.Invoke(dir, "models", "add", _models.WeightsPath, "--arch", "resnet18", "--name", "pets", "--input-size", "96");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"camstudio: A model named 'pets' already exists in {dir}; use --force to replace it, or --name to add this one under another name.",
            Assert.Single(run.ErrorLines));
        Assert.Equal(before, TempFolder.Snapshot(dir));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("labels")]
    [InlineData("missing")]
    [InlineData("resize")]
    [InlineData("mean")]
    public void BadAddIsOneLineAndLeavesTheModelsFolderAsItWas(string problem)
    {
        string dir = CopyOfSharedModels();
        byte[] onnx = File.ReadAllBytes(SharedResources.Model);
        string truncated = _temp.WriteBytes("in/cut.onnx", onnx[..(onnx.Length - 5000)]);
        string fewLabels = _temp.WriteText("in/few.txt", "a\nb\nc\n");
        string[] args = problem switch
        {
            "truncated" => ["models", "add", truncated, "--labels", SharedResources.ImageNetLabels],
            "labels" => ["models", "add", SharedResources.Model, "--labels", fewLabels, "--name", "other"],
            "missing" => ["models", "add", _temp.Combine("in", "absent.onnx")],
            "resize" => ["models", "add", SharedResources.Model, "--resize", "squash"],
            _ => ["models", "add", SharedResources.Model, "--mean", "0.5,0.5"],
        };
        string expected = problem switch
        {
            "truncated" => "cut.onnx",
            "labels" => $"Labels file '{fewLabels}' has 3 class names but model '{SharedResources.Model}' outputs 1000 classes.",
            "missing" => $"Model file '{_temp.Combine("in", "absent.onnx")}' does not exist.",
            "resize" => "--resize must be stretch or center-crop, not 'squash'.",
            _ => "--mean needs 3 comma-separated numbers (R,G,B), not '0.5,0.5'.",
        };
        var before = TempFolder.Snapshot(dir);

        CliRun run = CliRun.Invoke(dir, args);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expected, Assert.Single(run.ErrorLines));
        Assert.Equal(before, TempFolder.Snapshot(dir));
    }

    [Fact]
    public async Task PullRejectsACorruptedDownloadAndAcceptsTheGoodOne()
    {
        using var server = new LocalFileServer();
        byte[] model = File.ReadAllBytes(SharedResources.Model);
        byte[] corrupted = (byte[])model.Clone();
        corrupted[12345] ^= 0x10;
        server.Serve("bad/mobilenetv2-12-int8.onnx", corrupted);
        server.Serve("bad/imagenet_classes.txt", File.ReadAllBytes(SharedResources.ImageNetLabels));
        server.Serve("good/mobilenetv2-12-int8.onnx", model);
        server.Serve("good/imagenet_classes.txt", File.ReadAllBytes(SharedResources.ImageNetLabels));
        string dir = _temp.Combine("pulled");

        CliRun bad = await Task.Run(() => CliRun.Invoke(dir, "models", "pull", "mobilenetv2", "--base-url", server.UriOf("bad/").ToString()));
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("camstudio: SHA-256 mismatch for mobilenetv2-12-int8.onnx", Assert.Single(bad.ErrorLines));
        Assert.False(Directory.Exists(dir));

        CliRun good = await Task.Run(() => CliRun.Invoke(dir, "models", "pull", "--base-url", server.UriOf("good").ToString()));
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains($"Added 'mobilenetv2' (onnx, 1000 classes, input 224) in {dir} (SHA-256 verified).", good.Out);
        Assert.Contains("ok", CliRun.Invoke(dir, "models").Out.Split('\n')[2]);

        CliRun again = CliRun.Invoke(dir, "models", "pull", "mobilenetv2", "--base-url", server.UriOf("good").ToString());
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("is already in", again.Out);
    }

    [Fact]
    public void PullOfAnUnknownModelOrABadUrlIsOneLine()
    {
        CliRun unknown = CliRun.Invoke(_temp.Combine("m"), "models", "pull", "vit-huge");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("camstudio: No model named 'vit-huge' can be pulled; known: mobilenetv2. Add other models with 'camstudio models add FILE'.", Assert.Single(unknown.ErrorLines));

        CliRun badUrl = CliRun.Invoke(_temp.Combine("m"), "models", "pull", "--base-url", "ftp://example/");
        Assert.Equal(2, badUrl.ExitCode);
        Assert.Equal("camstudio: --base-url must be an http:// or https:// address, not 'ftp://example/'.", Assert.Single(badUrl.ErrorLines));
    }

    [Fact]
    public void LayersListsShapesAndMarksTheAutomaticChoice()
    {
        CliRun run = CliRun.Invoke(_models.ModelsDir, "layers", "--model", "pets");

        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray();
        Assert.Equal("Layers of pets (input 1×3×64×64, 5 classes), in execution order:", lines[0]);
        string marked = Assert.Single(lines, l => l.StartsWith('*') && !l.StartsWith("* ="));
        Assert.Matches(@"^\* layer4 +1×512×2×2 +Sequential$", marked);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  layer3 +1×256×4×4 +Sequential$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  fc +1×5 +Linear$"));
        Assert.StartsWith("* = the automatic choice (--layer auto): the last layer", lines[^1]);
    }

    [Fact]
    public void VersionAndInfoNameTheTorchDevice()
    {
        CliRun version = CliRun.Invoke(null, "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^camstudio \d+\.\d+\.\d+ \(CPU — libtorch \d+\.\d+", version.Out);

        CliRun info = CliRun.Invoke(_models.ModelsDir, "info");
        Assert.Equal(0, info.ExitCode);
        Assert.Contains("torch device: CPU — libtorch", info.Out);
        Assert.Contains($"models folder: {_models.ModelsDir} (from CAMSTUDIO_MODELS)", info.Out);
    }

    /// <summary>A private copy of the shared CLI models folder (mobilenetv2, pets, pets-crop) to change freely.</summary>
    private string CopyOfSharedModels()
    {
        string target = _temp.Combine("models");
        foreach (string file in Directory.EnumerateFiles(_models.ModelsDir, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(_models.ModelsDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }
}
