using System.Security.Cryptography;

namespace CamStudio.Tests.Cli;

/// <summary>A fresh temporary folder, deleted on dispose, with a content snapshot to prove "nothing changed".</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "camstudio-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
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
