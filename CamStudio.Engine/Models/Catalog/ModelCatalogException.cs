namespace CamStudio.Engine.Models.Catalog;

/// <summary>
/// A models-folder problem a user can fix: a missing or broken model, a bad manifest, a file that does not load,
/// a failed download. The message says what was wrong and names the file or model, ready to show as is.
/// </summary>
public sealed class ModelCatalogException : Exception
{
    public ModelCatalogException(string message) : base(message) { }

    public ModelCatalogException(string message, Exception inner) : base(message, inner) { }
}
