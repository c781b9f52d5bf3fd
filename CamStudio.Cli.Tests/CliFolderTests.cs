using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

/// <summary>
/// A folder given as IMAGE (issue 14: it used to say "the file does not exist"): explain takes the photos directly in
/// it, sorted; a folder without photos is one clear line, and nothing is written.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CliFolderTests : IDisposable
{
    private readonly CliModels _models = CliModels.Shared;
    private readonly TempFolder _temp = new("camstudio-cli-folder-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AFolderStandsForThePhotosDirectlyInIt()
    {
        string photos = _temp.Combine("photos");
        Directory.CreateDirectory(Path.Combine(photos, "nested"));
        File.Copy(SharedResources.Image("chelsea.png"), Path.Combine(photos, "chelsea.png"));
        File.Copy(SharedResources.Image("cat.bmp"), Path.Combine(photos, "cat.bmp"));
        File.Copy(SharedResources.Image("coffee.png"), Path.Combine(photos, "nested", "coffee.png")); // not entered
        File.WriteAllText(Path.Combine(photos, "notes.txt"), "not a photo");
        File.WriteAllText(Path.Combine(photos, "._chelsea.png"), "macOS litter");
        string outDir = _temp.Combine("out");

        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", photos, "--model", "pets", "--method", "gradcam", "--class", "0", "--out", outDir);

        Assert.True(run.ExitCode == 0, run.ToString());
        string[] expected = ["cat.gradcam.0.npy", "cat.gradcam.0.png", "cat.gradcam.0.raw.npy", "chelsea.gradcam.0.npy", "chelsea.gradcam.0.png",
            "chelsea.gradcam.0.raw.npy", "predictions.json"];
        Assert.Equal(expected, Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AFolderWithoutPhotosIsOneClearLine()
    {
        string empty = _temp.Combine("empty");
        Directory.CreateDirectory(empty);
        File.WriteAllText(Path.Combine(empty, "readme.txt"), "x");
        string outDir = _temp.Combine("out");

        CliRun run = CliRun.Invoke(_models.ModelsDir, "explain", empty, "--model", "pets", "--out", outDir);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith($"camstudio: Folder '{empty}' holds no photos (.bmp, .gif, .jpeg, .jpg, .png, .tif, .tiff, .webp)", Assert.Single(run.ErrorLines));
        Assert.DoesNotContain("does not exist", run.Error);
        Assert.False(Directory.Exists(outDir));
    }
}
