using CamStudio.Engine;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Engine.Models;

namespace CamStudio.Cli;

/// <summary>
/// The <see cref="CamEngine"/> of one command: its own torch thread, the models folder's catalog, and a model given
/// as a file (an .onnx file, a model folder, an architecture with --weights) added to it for this run.
/// </summary>
internal sealed class CliEngine : IDisposable
{
    private readonly TorchExecutor _executor = new(threadName: "camstudio torch");
    private readonly LoadedModels _models;

    public CliEngine(ModelCatalog catalog)
    {
        _models = new LoadedModels(_executor, catalog);
        Engine = new CamEngine(_executor, _models, ModelCatalog.DefaultModelName);
        Catalog = catalog;
    }

    public CamEngine Engine { get; }

    public ModelCatalog Catalog { get; }

    /// <summary>
    /// The engine's name for <c>--model</c> (default: the default model) and the layer a request without
    /// <c>--layer</c> uses: a catalog model's manifest default is the engine's; a model folder's is read from its
    /// model.json; files and --weights use "auto". Anything that is not a catalog model is loaded here, so its errors
    /// (a missing file, a weights file without an architecture) are the engine's <see cref="CamRequestException"/>.
    /// </summary>
    public async Task<(string Model, string? DefaultLayer)> ModelAsync(string? model, string? weights, CancellationToken cancellationToken)
    {
        string wanted = model ?? ModelCatalog.DefaultModelName;
        if (weights is null && Catalog.Find(wanted) is not null)
            return (wanted, null);
        string added = await Engine.AddModelFileAsync(wanted, weights, cancellationToken);
        string? layer = weights is null && Directory.Exists(wanted) ? ModelCatalog.Inspect(Path.GetFullPath(wanted)).Manifest?.DefaultLayer : null;
        return (added, layer ?? LayerNames.Auto);
    }

    public void Dispose()
    {
        Engine.Dispose();
        _models.Dispose();
        _executor.Dispose();
    }
}
