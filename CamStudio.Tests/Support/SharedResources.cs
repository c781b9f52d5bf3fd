namespace CamStudio.Tests.Support;

/// <summary>
/// Finds the read-only <c>shared/</c> folder that sits beside the repository (../shared): the nearest
/// ancestor of the test binaries that has a <c>shared/models</c> child, or <c>CAMSTUDIO_SHARED</c>.
/// A missing resource fails the test loudly; it is never skipped.
/// </summary>
public static class SharedResources
{
    private static readonly Lazy<string> Root = new(Locate);

    public static string Directory => Root.Value;

    public static string Model => File("models/mobilenetv2-12-int8.onnx");

    public static string ImageNetLabels => File("models/imagenet_classes.txt");

    public static string Image(string name) => File(Path.Combine("images", name));

    public static string File(string relative)
    {
        string path = Path.Combine(Directory, relative);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"Shared test resource '{relative}' is missing from {Directory}.", path);
        return path;
    }

    private static string Locate()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("CAMSTUDIO_SHARED");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            if (!System.IO.Directory.Exists(Path.Combine(fromEnv, "models")))
                throw new DirectoryNotFoundException($"CAMSTUDIO_SHARED={fromEnv} has no models/ folder.");
            return fromEnv;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (System.IO.Directory.Exists(Path.Combine(candidate, "models")))
                return candidate;
        }
        throw new DirectoryNotFoundException(
            $"No shared/ folder (with models/) beside any ancestor of {AppContext.BaseDirectory}; " +
            "clone the repository next to ../shared or set CAMSTUDIO_SHARED.");
    }
}
