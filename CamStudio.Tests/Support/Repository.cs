namespace CamStudio.Tests.Support;

/// <summary>The repository these tests were built from: the nearest ancestor of the test binaries holding CamStudio.sln.</summary>
public static class Repository
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "CamStudio.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No CamStudio.sln above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootPath.Value;

    /// <summary>A file of the repository; missing is an error, never a skip.</summary>
    public static string File(string relative)
    {
        string path = Path.Combine(Root, relative);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"Repository file '{relative}' is missing.", path);
        return path;
    }
}
