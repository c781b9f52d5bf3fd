using CamStudio.Engine.Models.Catalog;

namespace CamStudio.Cli;

/// <summary>Where a command writes and what environment it sees (tests pass their own).</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Error, Func<string, string?> Environment)
{
    /// <summary>Slow methods show progress on stderr: only when it is the console's own and a terminal.</summary>
    public bool ShowProgress { get; init; }

    public ModelCatalog Catalog(string? modelsDir) => new(ModelsFolder.Resolve(modelsDir, appSettings: null, Environment));

    /// <summary>Writes one "camstudio: message" line to stderr (messages are flattened to a single line).</summary>
    public void ReportError(string message) => Error.WriteLine($"camstudio: {OneLine(message)}");

    public static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
