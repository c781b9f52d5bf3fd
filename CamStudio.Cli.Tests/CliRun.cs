using CamStudio.Cli;

namespace CamStudio.Tests.Cli;

/// <summary>The outcome of one in-process <c>camstudio</c> run.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Non-empty stderr lines.</summary>
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Runs the CLI's entry point with captured stdout/stderr and <c>CAMSTUDIO_MODELS</c> = <paramref name="modelsDir"/>.</summary>
    public static CliRun Invoke(string? modelsDir, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CamStudioCli.Run(args, output, error, name => name == "CAMSTUDIO_MODELS" ? modelsDir : null);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}
