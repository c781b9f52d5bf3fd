using CamStudio.Engine;

namespace CamStudio.Cli;

/// <summary>Bad input the user can fix; its message is printed as one line and the process exits with <see cref="ExitCode"/>.</summary>
internal sealed class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Usage) : base(message)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }
}

/// <summary>Process exit codes.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Something failed while running: a model that would not load, a photo that would not decode, a download.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself was wrong: unknown option, bad value, unknown method/class/layer.</summary>
    public const int Usage = 2;

    /// <summary>
    /// The one mapping of the engine's refusals: a model that is missing or will not load and a photo that will not
    /// decode are failures (1), as they were before the engine; everything else is wrong input (2).
    /// </summary>
    public static int Of(CamRequestErrorKind kind) => kind switch
    {
        CamRequestErrorKind.UnknownModel or CamRequestErrorKind.BrokenModel or CamRequestErrorKind.ModelLoadFailed
            or CamRequestErrorKind.BadPhoto => Failure,
        CamRequestErrorKind.UnknownMethod or CamRequestErrorKind.MethodNotApplicable or CamRequestErrorKind.UnknownLayer
            or CamRequestErrorKind.UnsupportedLayer or CamRequestErrorKind.UnknownClass or CamRequestErrorKind.InvalidValue
            or CamRequestErrorKind.PhotoTooLarge or CamRequestErrorKind.TooMuchWork => Usage,
        _ => Usage,
    };
}
