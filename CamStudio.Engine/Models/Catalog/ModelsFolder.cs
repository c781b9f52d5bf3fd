namespace CamStudio.Engine.Models.Catalog;

/// <summary>Where the models folder came from, in order of precedence.</summary>
public enum ModelsFolderSource
{
    /// <summary>The CLI's <c>--models-dir</c>.</summary>
    CommandLine,

    /// <summary>The <c>CAMSTUDIO_MODELS</c> environment variable.</summary>
    EnvironmentVariable,

    /// <summary>The app's configuration (the web app's <c>CamStudio:ModelsDirectory</c> setting, passed in).</summary>
    AppSettings,

    /// <summary>The per-user data folder (LocalApplicationData/camstudio/models).</summary>
    UserData,
}

/// <summary>The models folder: one subfolder per model, each with its files and a <c>model.json</c> manifest.</summary>
/// <param name="Path">Absolute path of the folder (it need not exist yet).</param>
/// <param name="Source">Which setting chose it.</param>
public sealed record ModelsFolder(string Path, ModelsFolderSource Source)
{
    /// <summary>The environment variable that overrides app settings and the per-user default.</summary>
    public const string EnvironmentVariable = "CAMSTUDIO_MODELS";

    /// <summary>The per-user default: LocalApplicationData/camstudio/models (~/.local/share/camstudio/models on Linux).</summary>
    public static string UserDataPath => System.IO.Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify),
        "camstudio",
        "models");

    /// <summary>
    /// Chooses the folder: <paramref name="commandLine"/> (--models-dir), else <c>CAMSTUDIO_MODELS</c>, else
    /// <paramref name="appSettings"/>, else <see cref="UserDataPath"/>. Blank values count as not given.
    /// </summary>
    /// <param name="environment">Reads an environment variable (tests pass their own; default: the process environment).</param>
    public static ModelsFolder Resolve(string? commandLine = null, string? appSettings = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(commandLine))
            return new ModelsFolder(System.IO.Path.GetFullPath(commandLine), ModelsFolderSource.CommandLine);
        string? fromEnvironment = environment(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return new ModelsFolder(System.IO.Path.GetFullPath(fromEnvironment), ModelsFolderSource.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(appSettings))
            return new ModelsFolder(System.IO.Path.GetFullPath(appSettings), ModelsFolderSource.AppSettings);
        return new ModelsFolder(UserDataPath, ModelsFolderSource.UserData);
    }

    /// <summary>"/path (from CAMSTUDIO_MODELS)" and the like, for messages.</summary>
    public string Describe() => Source switch
    {
        ModelsFolderSource.CommandLine => $"{Path} (from --models-dir)",
        ModelsFolderSource.EnvironmentVariable => $"{Path} (from {EnvironmentVariable})",
        ModelsFolderSource.AppSettings => $"{Path} (from app settings)",
        _ => $"{Path} (the per-user default; set {EnvironmentVariable} or --models-dir to use another)",
    };
}
