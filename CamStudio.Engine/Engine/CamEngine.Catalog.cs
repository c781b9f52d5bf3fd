using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;

namespace CamStudio.Engine;

/// <summary>Changing the models folder from a front end: add (with the checks of <c>camstudio models add</c>), remove, choose the default.</summary>
public sealed partial class CamEngine
{
    /// <summary>
    /// Adds <paramref name="file"/> (an .onnx graph, or a weights file with <see cref="AddModelOptions.Architecture"/>) to
    /// the catalog with <see cref="ModelCatalog.Add"/>, on the torch thread: the same checks as <c>camstudio models add</c>
    /// (name, input size, mean and std, labels count against the outputs, the ONNX importer's guards, the model
    /// loading), staged so a refused file leaves the catalog as it was. A replaced model is loaded anew on next use.
    /// A refusal is a <see cref="CamRequestException"/> (<see cref="CamRequestErrorKind.ModelLoadFailed"/> on "model")
    /// with the catalog's message.
    /// </summary>
    public async Task<EngineModelSummary> AddCatalogModelAsync(string file, AddModelOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        ArgumentNullException.ThrowIfNull(options);
        LoadedModels models = RequireCatalog();
        AddModelResult result;
        try
        {
            result = await _executor.RunAsync(_ => models.Catalog.Add(file, options, TorchRuntime.DefaultDevice),
                WorkPriority.Interactive, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelCatalogException ex)
        {
            throw new CamRequestException(CamRequestErrorKind.ModelLoadFailed, CamRequestFields.Model, ex.Message, ex);
        }
        models.Forget(result.Entry.Name);
        return ListModels().First(m => string.Equals(m.Name, result.Entry.Name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Removes catalog model <paramref name="name"/> (and forgets it as the default); false when there is none.</summary>
    public bool RemoveCatalogModel(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        LoadedModels models = RequireCatalog();
        CatalogEntry? entry = models.Catalog.Find(name);
        if (entry is null)
            return false;
        try
        {
            if (!models.Catalog.Remove(entry.Name))
                return false;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Model, $"Model '{entry.Name}' could not be removed: {ex.Message}", ex);
        }
        models.Forget(entry.Name);
        return true;
    }

    /// <summary>
    /// Makes catalog model <paramref name="name"/> the <see cref="DefaultModel"/>, kept in the models folder so a restart
    /// (and the CLI on the same folder) keeps it. A missing or broken model is a <see cref="CamRequestException"/> on "model".
    /// </summary>
    public void SetDefaultModel(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        LoadedModels models = RequireCatalog();
        CatalogEntry entry = models.Catalog.Find(name)
            ?? throw new CamRequestException(CamRequestErrorKind.UnknownModel, CamRequestFields.Model, models.Catalog.MissingModelMessage(name));
        if (!entry.IsUsable)
            throw new CamRequestException(CamRequestErrorKind.BrokenModel, CamRequestFields.Model, $"Model '{entry.Name}' is {entry.Status}: it cannot be the default.");
        try
        {
            models.Catalog.SetChosenDefault(entry.Name);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Model, $"The default could not be saved in {models.Catalog.Directory}: {ex.Message}", ex);
        }
    }

    private LoadedModels RequireCatalog() =>
        _models ?? throw new InvalidOperationException("The models folder is changed through the catalog: create the engine with LoadedModels.");
}
