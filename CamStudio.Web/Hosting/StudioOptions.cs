using CamStudio.Web.Studio;

namespace CamStudio.Web.Hosting;

/// <summary>The <c>CamStudio</c> section of appsettings.</summary>
public sealed class StudioOptions
{
    public const string SectionName = "CamStudio";

    /// <summary>The models folder (overridden by <c>CAMSTUDIO_MODELS</c>); empty means the per-user default.</summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>The model the studio opens with; empty means the catalog's default (mobilenetv2).</summary>
    public string? DefaultModel { get; set; }

    public long MaxUploadBytes { get; set; } = PhotoLimits.Default.MaxBytes;

    public long MaxPixels { get; set; } = PhotoLimits.Default.MaxPixels;

    public int MaxPhotos { get; set; } = PhotoLimits.Default.MaxPhotos;

    /// <summary>Most maps (methods × classes) one <c>POST /api/explain</c> may ask for: each carries a full-size overlay.</summary>
    public int MaxMapsPerResponse { get; set; } = 16;

    /// <summary>How many pieces of work may wait for the torch thread; beyond that, callers wait for a place.</summary>
    public int QueueCapacity { get; set; } = 64;

    public PhotoLimits Limits => new(MaxUploadBytes, MaxPixels, MaxPhotos);
}
