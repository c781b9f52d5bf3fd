namespace CamStudio.Cli;

/// <summary>
/// The IMAGE arguments of explain, evaluate and recommend: a folder stands for the photos directly in it (sorted by
/// name; sub-folders are not entered), as users type <c>camstudio explain photos/</c>; files are taken as given.
/// </summary>
internal static class PhotoArguments
{
    /// <summary>The extensions a folder's files are taken by (what the decoder reads).</summary>
    public static readonly IReadOnlySet<string> PhotoExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff",
    };

    /// <summary>Each folder replaced by its photos; a folder without photos is a <see cref="CliException"/> saying so.</summary>
    public static IReadOnlyList<string> Expand(IReadOnlyList<string>? arguments)
    {
        var photos = new List<string>();
        foreach (string argument in arguments ?? [])
        {
            if (!Directory.Exists(argument))
            {
                photos.Add(argument);
                continue;
            }
            string[] inFolder = [.. Directory.EnumerateFiles(argument)
                .Where(f => PhotoExtensions.Contains(Path.GetExtension(f)) && !Path.GetFileName(f).StartsWith('.'))
                .Order(StringComparer.Ordinal)];
            if (inFolder.Length == 0)
                throw new CliException(
                    $"Folder '{argument}' holds no photos ({string.Join(", ", PhotoExtensions.Order())}); sub-folders are not searched: name them, or the photos, instead.");
            photos.AddRange(inFolder);
        }
        return photos;
    }
}
