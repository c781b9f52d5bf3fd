namespace CamStudio.Tests.Support;

/// <summary>
/// The tiny seeded model files the tests load (torchvision ViT/Swin/ConvNeXt/MaxViT ONNX exports, the anchor CNN's state
/// dict). They are not committed: <c>scripts/make-test-models.sh</c> writes them (with Debian's PyTorch) into
/// <c>artifacts/test-models</c>, and <c>scripts/test.sh</c> runs it first and sets <c>CAMSTUDIO_TEST_MODELS</c>.
/// A missing file fails the test, naming the script; it is never skipped.
/// </summary>
public static class GeneratedModels
{
    public const string Variable = "CAMSTUDIO_TEST_MODELS";

    public static string Directory
    {
        get
        {
            string? fromEnv = Environment.GetEnvironmentVariable(Variable);
            return string.IsNullOrEmpty(fromEnv) ? Path.Combine(Repository.Root, "artifacts", "test-models") : fromEnv;
        }
    }

    public static string File(string name)
    {
        string path = Path.Combine(Directory, name);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException(
                $"Generated test model '{name}' is missing from {Directory}: run scripts/make-test-models.sh {Directory} " +
                $"(scripts/test.sh does; it needs Debian's python3-torch and python3-torchvision), or set {Variable}.", path);
        return path;
    }
}
