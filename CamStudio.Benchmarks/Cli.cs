namespace CamStudio.Benchmarks;

/// <summary>The benchmark modes' "--name value" arguments.</summary>
internal static class Cli
{
    public static string Option(string[] args, string name, string fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
