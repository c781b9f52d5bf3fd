namespace CamStudio.Web.Models;

/// <summary>Limits of adding models from the studio, in <c>CamStudio:Models</c>.</summary>
public sealed class ModelUploadOptions
{
    public const string Section = "CamStudio:Models";

    /// <summary>Largest model or weights file accepted (ViT-B/16 as ONNX is about 330 MiB).</summary>
    public long MaxModelBytes { get; set; } = 1L << 30;

    /// <summary>Largest labels file accepted (ImageNet-21k's names are under 1 MiB).</summary>
    public long MaxLabelsBytes { get; set; } = 4L << 20;
}
