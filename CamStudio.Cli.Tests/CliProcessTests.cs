using System.Diagnostics;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

/// <summary>Runs the built <c>camstudio</c> executable as a real process: proves libtorch's native libraries load there.</summary>
[Collection(TorchCollection.Name)]
public sealed class CliProcessTests : IDisposable
{
    private readonly TempFolder _temp = new("camstudio-cli-process-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void BuiltExecutablePrintsTheTorchDevice()
    {
        var (exitCode, output, error) = RunCamstudio(null, "--version");
        Assert.True(exitCode == 0, error);
        Assert.Matches(@"^camstudio \d+\.\d+\.\d+ \(CPU — libtorch \d+\.\d+", output);
    }

    [Fact]
    public void BuiltExecutableExplainsAPhotoAndReportsBadInputOnOneLine()
    {
        string outDir = _temp.Combine("out");
        var (exitCode, output, error) = RunCamstudio(CliModels.Shared.ModelsDir,
            "explain", SharedResources.Image("cat.bmp"), "--model", "pets", "--class", "2", "--method", "gradcam,eigencam", "--out", outDir);
        Assert.True(exitCode == 0, error + output);
        Assert.Equal(["cat.eigencam.2.npy", "cat.eigencam.2.png", "cat.eigencam.2.raw.npy", "cat.gradcam.2.npy", "cat.gradcam.2.png", "cat.gradcam.2.raw.npy", "predictions.json"],
            Directory.GetFiles(outDir).Select(Path.GetFileName).Order());

        var bad = RunCamstudio(CliModels.Shared.ModelsDir, "explain", SharedResources.Image("cat.bmp"), "--model", "pets", "--method", "nope", "--out", outDir);
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal($"camstudio: Unknown CAM method 'nope'. Valid methods: {string.Join(", ", CamMethods.Ids)}.\n", bad.Error);
    }

    /// <summary>The CLI project's own build output (same configuration as the tests), not a copy.</summary>
    private static string Executable()
    {
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<Configuration>/net10.0/
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string project = Path.Combine(dir.FullName, "CamStudio.Cli");
            if (File.Exists(Path.Combine(project, "CamStudio.Cli.csproj")))
            {
                string exe = Path.Combine(project, "bin", configuration, "net10.0", OperatingSystem.IsWindows() ? "camstudio.exe" : "camstudio");
                if (!File.Exists(exe))
                    throw new FileNotFoundException($"The camstudio executable is not built at {exe}; build the solution first.", exe);
                return exe;
            }
        }
        throw new DirectoryNotFoundException($"No CamStudio.Cli project above {AppContext.BaseDirectory}.");
    }

    internal static (int ExitCode, string Output, string Error) RunCamstudio(string? modelsDir, params string[] args)
    {
        var start = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        start.Environment["CAMSTUDIO_MODELS"] = modelsDir ?? "";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"camstudio {string.Join(' ', args)} did not finish in 3 minutes.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}
