namespace CamStudio.Engine.Models.Catalog;

/// <summary>A class names file: UTF-8 text, one name per line, line 1 = class 0.</summary>
public static class ClassLabelsFile
{
    /// <summary>Largest labels file read (far above ImageNet-21k's names).</summary>
    public const long MaxBytes = 16L * 1024 * 1024;

    /// <summary>
    /// Reads the names (trimmed; a final empty line is ignored). An empty file, an empty line between names or a
    /// file that is not text is an error naming the file.
    /// </summary>
    public static IReadOnlyList<string> Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new ModelCatalogException($"Labels file '{path}' does not exist.");
        if (info.Length > MaxBytes)
            throw new ModelCatalogException($"Labels file '{path}' is {info.Length:N0} bytes; a labels file may be at most {MaxBytes:N0} bytes.");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelCatalogException($"Labels file '{path}' cannot be read ({e.Message}).", e);
        }

        int count = lines.Length;
        while (count > 0 && string.IsNullOrWhiteSpace(lines[count - 1]))
            count--;
        if (count == 0)
            throw new ModelCatalogException($"Labels file '{path}' has no class names (expected one per line).");
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            string name = lines[i].Trim();
            if (name.Length == 0)
                throw new ModelCatalogException($"Labels file '{path}': line {i + 1} is empty (expected one class name per line).");
            if (name.Contains('\0'))
                throw new ModelCatalogException($"Labels file '{path}' is not a text file (line {i + 1} has a NUL byte).");
            names[i] = name;
        }
        return names;
    }
}
