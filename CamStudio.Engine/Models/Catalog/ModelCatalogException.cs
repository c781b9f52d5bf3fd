namespace CamStudio.Engine.Models.Catalog;

/// <summary>
/// A models-folder problem a user can fix: a missing or broken model, a bad manifest, a file that does not load,
/// a failed download. The message says what was wrong and names the file or model, ready to show as is.
/// </summary>
public sealed class ModelCatalogException : Exception
{
    // Paths and names come from the user: control characters are escaped so a message stays one harmless line.
    public ModelCatalogException(string message) : base(DisplayText.EscapeControl(message)) { }

    public ModelCatalogException(string message, Exception inner) : base(DisplayText.EscapeControl(message), inner) { }

    /// <summary>What kind of problem it is, for front ends that answer differently (e.g. 404 for a missing model).</summary>
    public ModelCatalogErrorKind Kind { get; init; } = ModelCatalogErrorKind.Other;
}

/// <summary>The kinds of <see cref="ModelCatalogException"/> a front end may tell apart.</summary>
public enum ModelCatalogErrorKind
{
    /// <summary>A file that does not load, a bad manifest, a failed download, ...</summary>
    Other,

    /// <summary>No model of that name in the models folder.</summary>
    MissingModel,

    /// <summary>The model's folder is there but unusable (no or bad manifest, missing file).</summary>
    BrokenModel,
}
