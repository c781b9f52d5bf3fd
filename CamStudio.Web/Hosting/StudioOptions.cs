using CamStudio.Web.Services;

namespace CamStudio.Web.Hosting;

/// <summary>The <c>CamStudio</c> section of appsettings.</summary>
public sealed class StudioOptions
{
    public const string SectionName = "CamStudio";

    /// <summary>Environment variable that overrides <see cref="ModelsDirectory"/>.</summary>
    public const string ModelsEnvironmentVariable = "CAMSTUDIO_MODELS";

    /// <summary>The models folder; empty means the catalog's per-user default.</summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>The model the studio opens with; empty means the catalog's default (mobilenetv2).</summary>
    public string? DefaultModel { get; set; }

    public long MaxUploadBytes { get; set; } = PhotoLimits.Default.MaxBytes;

    public long MaxPixels { get; set; } = PhotoLimits.Default.MaxPixels;

    public int MaxPhotos { get; set; } = PhotoLimits.Default.MaxPhotos;

    /// <summary>How many explain jobs may wait for the torch thread before new ones are refused.</summary>
    public int QueueCapacity { get; set; } = 64;

    public PhotoLimits Limits => new(MaxUploadBytes, MaxPixels, MaxPhotos);

    /// <summary><c>CAMSTUDIO_MODELS</c> when set, else the configured folder, else null (the catalog's default).</summary>
    public string? ResolveModelsDirectory()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(ModelsEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return fromEnvironment;
        return string.IsNullOrWhiteSpace(ModelsDirectory) ? null : ModelsDirectory;
    }
}
