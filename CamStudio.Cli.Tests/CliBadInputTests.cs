using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

/// <summary>Every bad input ends with a non-zero exit code, exactly one line on stderr saying what was wrong, and nothing written.</summary>
[Collection(TorchCollection.Name)]
public sealed class CliBadInputTests : IDisposable
{
    private readonly CliModels _models = CliModels.Shared;
    private readonly TempFolder _temp = new("camstudio-cli-bad-");

    public void Dispose() => _temp.Dispose();

    private string OutDir => _temp.Combine("out");

    public static TheoryData<string[], int, string> BadExplainArguments => new()
    {
        { ["--method", "gradcam,fancycam"], 2, $"camstudio: Unknown CAM method 'fancycam'. Valid methods: {string.Join(", ", CamMethods.Ids)}." },
        { ["--method", ","], 2, "camstudio: --method is empty; choose from cam, gradcam" },
        { ["--class", "expresso"], 2, "camstudio: Unknown class 'expresso' for model 'pets'. Did you mean 3 (espresso)" },
        { ["--class", "tabby"], 2, "camstudio: Class name 'tabby' is ambiguous in model 'pets': 0 (tabby, tabby cat), 4 (tabby, striped dog); give the class index instead." },
        { ["--class", "5"], 2, "camstudio: Class index 5 is out of range: model 'pets' has classes 0-4." },
        { ["--class", "-1"], 2, "camstudio: Class index -1 is out of range: model 'pets' has classes 0-4." },
        { ["--class", "top9"], 2, "camstudio: top9 asks for more classes than model 'pets' has (5)." },
        { ["--class", "top3,1"], 2, "camstudio: Classes 'top3,1' mix top3 with other classes" },
        { ["--option", "samples"], 2, "camstudio: Option 'samples' is not of the form name=value (e.g. samples=35, or sscam.samples=35 for one method)." },
        { ["--option", "k=1", "--option", "K=2"], 2, "camstudio: Option 'K' is given twice; give each option once." },
        { ["--option", "sigma=2"], 2, "camstudio: Unknown option 'sigma' for gradcam. None of them takes options." },
        { ["--layer", "layer5"], 2, "camstudio: Model 'pets' has no capturable layer 'layer5'. Closest of its" },
        { ["--layer", "fc"], 2, "camstudio: Layer 'fc' of model 'pets' outputs 1×5; class activation maps need a 4-D N×C×H×W activation or a token grid" },
        { ["--method", "cam", "--layer", "layer3"], 2, "camstudio: Method cam needs global average pooling followed by one linear layer after layer 'layer3'" },
        { ["--alpha", "1.5"], 2, "camstudio: --alpha must be a number from 0 to 1, not 1.5." },
        { ["--alpha", "abc"], 2, "camstudio: Cannot parse argument 'abc' for option '--alpha' as a number." },
        { ["--colormap", "rainbow"], 2, "camstudio: Unknown colormap 'rainbow'; choose one of jet, turbo, viridis, inferno, gray." },
        { ["--batch-size", "0"], 2, "camstudio: --batch-size must be at least 1, not 0." },
        { ["--frobnicate"], 2, "camstudio: Unknown option '--frobnicate' for explain." },
        { ["--model", "nope"], 1, "camstudio: No model named 'nope' in the models folder" },
        { ["--model", "resnet18"], 1, "camstudio: 'resnet18' is a torchvision architecture but not a model in" },
        { ["--model", "/nowhere/model.onnx"], 1, "camstudio: Model file '/nowhere/model.onnx' does not exist." },
    };

    [Theory]
    [MemberData(nameof(BadExplainArguments))]
    public void BadExplainInputIsOneLineAndWritesNothing(string[] arguments, int exitCode, string message)
    {
        string[] model = arguments.Contains("--model") ? [] : ["--model", "pets"];
        string[] args = ["explain", SharedResources.Image("cat.bmp"), .. model, "--out", OutDir, .. arguments];
        CliRun run = CliRun.Invoke(_models.ModelsDir, args);

        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.StartsWith(message, Assert.Single(run.ErrorLines));
        Assert.Empty(run.Out);
        Assert.False(Directory.Exists(OutDir), "bad input must not create the output folder");
    }

    /// <summary>The engine's refusals by kind: a model or photo that cannot be used is a failure (1), wrong input is usage (2).</summary>
    [Theory]
    [InlineData(CamRequestErrorKind.UnknownModel, 1)]
    [InlineData(CamRequestErrorKind.BrokenModel, 1)]
    [InlineData(CamRequestErrorKind.ModelLoadFailed, 1)]
    [InlineData(CamRequestErrorKind.BadPhoto, 1)]
    [InlineData(CamRequestErrorKind.UnknownMethod, 2)]
    [InlineData(CamRequestErrorKind.MethodNotApplicable, 2)]
    [InlineData(CamRequestErrorKind.UnknownLayer, 2)]
    [InlineData(CamRequestErrorKind.UnsupportedLayer, 2)]
    [InlineData(CamRequestErrorKind.UnknownClass, 2)]
    [InlineData(CamRequestErrorKind.InvalidValue, 2)]
    [InlineData(CamRequestErrorKind.PhotoTooLarge, 2)]
    [InlineData(CamRequestErrorKind.TooMuchWork, 2)]
    public void EveryKindOfRefusalHasItsExitCode(CamRequestErrorKind kind, int exitCode)
    {
        Assert.Equal(12, Enum.GetValues<CamRequestErrorKind>().Length); // a new kind needs a row here
        Assert.Equal(exitCode, CamStudio.Cli.ExitCodes.Of(kind));
    }

    [Fact]
    public void AModelFileThatWillNotLoadIsExitCode1WithOneLine()
    {
        string broken = _temp.WriteText("broken.onnx", "not a protobuf at all");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", SharedResources.Image("cat.bmp"), "--model", broken, "--out", OutDir);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.StartsWith("camstudio: ", Assert.Single(run.ErrorLines));
        Assert.False(Directory.Exists(OutDir));
    }

    [Fact]
    public void MissingModelSaysExactlyHowToAddOne()
    {
        string emptyModels = _temp.Combine("no-models");
        CliRun run = CliRun.Invoke(emptyModels, "explain", SharedResources.Image("cat.bmp"), "--out", OutDir);

        Assert.Equal(1, run.ExitCode);
        string line = Assert.Single(run.ErrorLines);
        Assert.Contains($"No model named 'mobilenetv2' in the models folder {emptyModels} (from CAMSTUDIO_MODELS)", line);
        Assert.Contains("camstudio models pull mobilenetv2", line);
        Assert.Contains("camstudio models add FILE.onnx --labels LABELS.txt --name mobilenetv2", line);
        Assert.False(Directory.Exists(OutDir));
        Assert.False(Directory.Exists(emptyModels));
    }

    [Fact]
    public void OutputPathThatIsAFileIsRefused()
    {
        string file = _temp.WriteText("taken", "keep me");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", SharedResources.Image("cat.bmp"), "--model", "pets", "--out", file);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"camstudio: --out '{file}' is a file; give a folder (it is created if missing).", Assert.Single(run.ErrorLines));
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void MissingImageAloneFailsWithOneLineNamingIt()
    {
        string missing = _temp.Combine("nope.png");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", missing, "--model", "pets", "--out", OutDir);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"camstudio: {missing}: the file does not exist", Assert.Single(run.ErrorLines));
    }

    [Theory]
    [InlineData(new[] { "explain", "x.png" }, "camstudio: Option '--out' is required.")]
    [InlineData(new[] { "explain", "--out", "somewhere" }, "camstudio: Required argument missing for command: 'explain'.")]
    [InlineData(new[] { "frobnicate" }, "camstudio: Unrecognized command or argument 'frobnicate'.")]
    [InlineData(new[] { "models", "add", "m.onnx", "--input-size", "big" }, "camstudio: Cannot parse argument 'big' for option '--input-size' as a whole number.")]
    public void CommandLineSyntaxErrorsAreOneLineWithExitCode2(string[] args, string message)
    {
        CliRun run = CliRun.Invoke(_models.ModelsDir, args);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith(message, Assert.Single(run.ErrorLines));
        Assert.EndsWith("See 'camstudio --help'.", run.ErrorLines[0]);
    }
}
