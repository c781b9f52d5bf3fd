using System.Diagnostics;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// A small tmpfs mounted for one test (a real full disk, or a real read-only folder, without touching the machine's
/// disks). Needs root (the test machine runs as root); when mounting fails the test fails loudly, never skips.
/// Unmounted on dispose.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    public TmpfsMount(long sizeBytes, bool readOnly = false)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "camstudio-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        string options = $"size={sizeBytes}" + (readOnly ? ",ro" : "");
        (int code, string output) = Run("mount", $"-t tmpfs -o {options} camstudio-test {Path}");
        if (code != 0)
        {
            Directory.Delete(Path);
            throw new InvalidOperationException($"This test needs a tmpfs mount (root): 'mount -t tmpfs -o {options}' failed ({code}): {output}");
        }
    }

    public string Path { get; }

    /// <summary>Fills the mount with one file until writing fails (ENOSPC): the disk is then really full.</summary>
    public string Fill()
    {
        string filler = System.IO.Path.Combine(Path, "filler.bin");
        var block = new byte[64 * 1024];
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true)
                stream.Write(block);
        }
        catch (IOException)
        {
            // No space left on device: that is the point.
        }
        return filler;
    }

    public void Dispose()
    {
        (int code, string output) = Run("umount", $"-l {Path}");
        if (code == 0)
            Directory.Delete(Path, recursive: true);
        else
            throw new InvalidOperationException($"umount {Path} failed ({code}): {output}");
    }

    private static (int Code, string Output) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Trim());
    }
}
