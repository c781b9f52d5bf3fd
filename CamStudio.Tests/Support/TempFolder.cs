using System.Security.Cryptography;

namespace CamStudio.Tests.Cli;

/// <summary>A fresh temporary folder, deleted on dispose, with a content snapshot to prove "nothing changed".</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "camstudio-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>Takes <paramref name="path"/> (created if missing) as the folder; it is deleted on dispose.</summary>
    public TempFolder(string path, bool existing)
    {
        Path = path;
        if (!existing || !Directory.Exists(path))
            Directory.CreateDirectory(path);
    }

    /// <summary>
    /// A folder under <c>&lt;temp&gt;/&lt;group&gt;/&lt;process id&gt;-&lt;random&gt;</c> for state that lives as long as the test
    /// process. Folders of the group left by test processes that no longer run are deleted first, so a killed test
    /// host (whose exit handlers never ran) does not leave its files behind for good.
    /// </summary>
    public static TempFolder ForThisProcess(string group)
    {
        string root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), group);
        Directory.CreateDirectory(root);
        foreach (string stale in Directory.EnumerateDirectories(root))
        {
            string name = System.IO.Path.GetFileName(stale);
            int dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], out int pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                try
                {
                    Directory.Delete(stale, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
        return new TempFolder(System.IO.Path.Combine(root, $"{Environment.ProcessId}-{Guid.NewGuid():N}"), existing: false);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Writes <paramref name="text"/> to a file under the folder (creating subfolders) and returns its path.</summary>
    public string WriteText(string relative, string text)
    {
        string path = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Writes <paramref name="bytes"/> to a file under the folder and returns its path.</summary>
    public string WriteBytes(string relative, byte[] bytes)
    {
        string path = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Every folder and file below <paramref name="directory"/> (relative paths; files with size and SHA-256), sorted.</summary>
    public static IReadOnlyList<string> Snapshot(string directory)
    {
        if (!Directory.Exists(directory))
            return ["<missing>"];
        var entries = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories))
            entries.Add(System.IO.Path.GetRelativePath(directory, dir) + "/");
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            using FileStream stream = File.OpenRead(file);
            entries.Add($"{System.IO.Path.GetRelativePath(directory, file)} {stream.Length} {Convert.ToHexStringLower(SHA256.HashData(stream))}");
        }
        entries.Sort(StringComparer.Ordinal);
        return entries;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
