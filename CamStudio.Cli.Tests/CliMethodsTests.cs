using CamStudio.Engine.Cam;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

/// <summary><c>camstudio methods</c>: every method with its paper; with --model, the engine's own applicability and reason.</summary>
[Collection(TorchCollection.Name)]
public sealed class CliMethodsTests
{
    private readonly CliModels _models = CliModels.Shared;

    [Fact]
    public void ListsEveryMethodWithItsPaper()
    {
        CliRun run = CliRun.Invoke(_models.ModelsDir, "methods");
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (ICamMethod method in CamMethods.All)
            Assert.Contains($"{method.DisplayName} — {method.Paper}", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("[not available]", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void WithAModelAndLayerSaysWhichDoNotApplyAndWhy()
    {
        CliRun run = CliRun.Invoke(_models.ModelsDir, "methods", "--model", "pets", "--layer", "layer3");
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Out.Split('\n');
        int cam = Array.FindIndex(lines, l => l.TrimStart().StartsWith("cam ", StringComparison.Ordinal));
        Assert.True(cam >= 0, run.Out);
        Assert.Contains("[not available]", lines[cam], StringComparison.Ordinal);
        Assert.Contains("needs global average pooling followed by one linear layer after layer 'layer3'", lines[cam + 1], StringComparison.Ordinal);
        Assert.DoesNotContain("[not available]", lines.Single(l => l.TrimStart().StartsWith("gradcam ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownLayerIsARequestError()
    {
        CliRun run = CliRun.Invoke(_models.ModelsDir, "methods", "--model", "pets", "--layer", "layer5");
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("camstudio: Model 'pets' has no capturable layer 'layer5'.", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
    }
}
