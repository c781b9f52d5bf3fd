namespace CamStudio.Engine.Models.Catalog;

/// <summary>One subfolder of the models folder: a usable model, or a broken one with the reason.</summary>
/// <param name="Name">The folder name (= the model name when the manifest is sound).</param>
/// <param name="Directory">Absolute path of the model's folder.</param>
/// <param name="Manifest">The parsed manifest, or null when it is missing or invalid.</param>
/// <param name="ClassCount">Number of class names in the labels file, when the model has one.</param>
/// <param name="Problem">Why the model cannot be used, or null when it can.</param>
public sealed record CatalogEntry(string Name, string Directory, ModelManifest? Manifest, int? ClassCount, string? Problem)
{
    public bool IsUsable => Problem is null && Manifest is not null;

    /// <summary>"ok" or "broken: reason".</summary>
    public string Status => IsUsable ? "ok" : $"broken: {Problem}";

    /// <summary>Absolute path of the model or weights file (null when the manifest is unreadable).</summary>
    public string? ModelFile => Manifest is null ? null : Path.Combine(Directory, Manifest.File);

    /// <summary>Absolute path of the labels file, or null when there is none.</summary>
    public string? LabelsFile => Manifest?.Labels is null ? null : Path.Combine(Directory, Manifest.Labels);

    /// <summary>The manifest, or an error saying why this model cannot be used.</summary>
    public ModelManifest RequireUsable() =>
        IsUsable ? Manifest! : throw new ModelCatalogException($"Model '{Name}' in {Directory} is broken: {Problem}");
}

/// <summary>How <see cref="ModelCatalog.Add"/> files a model.</summary>
public sealed record AddModelOptions
{
    /// <summary>Model name (default: the file name without extension, lower-cased).</summary>
    public string? Name { get; init; }

    /// <summary>Class names file to copy in (one per line); its count must match the model's outputs.</summary>
    public string? Labels { get; init; }

    /// <summary>torchvision architecture for a weights file (.pt, .pth, .safetensors, .dat); must be null for ONNX.</summary>
    public string? Architecture { get; init; }

    /// <summary>Square input side; null: the model's own (an ONNX graph's fixed input size, the torchvision architecture's), else 224.</summary>
    public int? InputSize { get; init; }

    /// <summary>The ONNX output holding the logits, for graphs with several outputs that CamStudio cannot tell apart.</summary>
    public string? Output { get; init; }

    /// <summary>Per-channel mean (default ImageNet's).</summary>
    public float[]? Mean { get; init; }

    /// <summary>Per-channel standard deviation (default ImageNet's).</summary>
    public float[]? Std { get; init; }

    public Imaging.ResizeMode Resize { get; init; } = Imaging.ResizeMode.Stretch;

    public string DefaultLayer { get; init; } = "auto";

    public string? License { get; init; }

    public string? Source { get; init; }

    /// <summary>When a usable model of that name exists, keep it and succeed without adding.</summary>
    public bool IfMissing { get; init; }

    /// <summary>Replace a model of the same name (only once the new one has been validated).</summary>
    public bool Force { get; init; }
}

/// <summary>What <see cref="ModelCatalog.Add"/> did.</summary>
/// <param name="Entry">The model now in the folder.</param>
/// <param name="Added">False when <see cref="AddModelOptions.IfMissing"/> kept an existing model.</param>
/// <param name="Replaced">True when <see cref="AddModelOptions.Force"/> replaced an existing model.</param>
public sealed record AddModelResult(CatalogEntry Entry, bool Added, bool Replaced);
