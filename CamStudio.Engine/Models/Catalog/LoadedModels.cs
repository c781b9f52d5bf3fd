using System.Collections.Concurrent;
using System.Diagnostics;
using CamStudio.Engine.Runtime;

namespace CamStudio.Engine.Models.Catalog;

/// <summary>A catalog model loaded on the torch thread, with its catalog entry and the SHA-256 of its file.</summary>
public sealed record LoadedModel(CatalogEntry Entry, ICamModel Model, string Sha256)
{
    public string Name => Entry.Name;
}

/// <summary>
/// The app's one cache of loaded catalog models: every model is loaded once, on the <see cref="TorchExecutor"/>
/// thread, and shared by everything that explains photos (the studio and batch jobs), so a model used by both
/// sits in memory once. Concurrent requests for the same model share one load; a failed load is not cached, so
/// fixing the models folder and asking again works. Models are used and disposed only on the torch thread.
/// </summary>
public sealed class LoadedModels : IDisposable
{
    private readonly TorchExecutor _executor;
    private readonly Action<LoadedModel, TimeSpan>? _onLoaded;
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _models = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    /// <param name="onLoaded">Told about each model once it is loaded, with the time the load took (for logs).</param>
    public LoadedModels(TorchExecutor executor, ModelCatalog catalog, Action<LoadedModel, TimeSpan>? onLoaded = null)
    {
        _executor = executor;
        Catalog = catalog;
        _onLoaded = onLoaded;
    }

    public ModelCatalog Catalog { get; }

    /// <summary>
    /// The catalog model <paramref name="name"/> (exact, else the only case-insensitive match), loaded. Throws
    /// <see cref="ModelCatalogException"/> with <see cref="ModelCatalogException.Kind"/> saying whether the model is
    /// missing, broken, or failed to load. The load itself is not tied to <paramref name="cancellationToken"/>
    /// (another caller may be waiting for it); only this caller's wait is.
    /// </summary>
    public async Task<LoadedModel> GetAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_disposed, this);
        CatalogEntry entry = Catalog.Find(name)
            ?? throw new ModelCatalogException(Catalog.MissingModelMessage(name)) { Kind = ModelCatalogErrorKind.MissingModel };
        if (!entry.IsUsable)
            throw new ModelCatalogException($"Model '{entry.Name}' is {entry.Status}.") { Kind = ModelCatalogErrorKind.BrokenModel };
        Lazy<Task<LoadedModel>> lazy = _models.GetOrAdd(entry.Name, _ => new Lazy<Task<LoadedModel>>(() => LoadAsync(entry)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch when (lazy.Value.IsCompleted && !lazy.Value.IsCompletedSuccessfully)
        {
            // Forget the failed load before the caller hears of it, so asking again (after a fix) loads anew.
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(entry.Name, lazy));
            throw;
        }
    }

    private Task<LoadedModel> LoadAsync(CatalogEntry entry)
    {
        Task<LoadedModel> load = _executor.RunAsync(_ =>
        {
            var started = Stopwatch.StartNew();
            ICamModel model = Catalog.Load(entry, TorchRuntime.DefaultDevice);
            string sha256 = entry.Manifest?.Sha256 ?? ModelCatalog.Sha256Of(entry.ModelFile!);
            var loaded = new LoadedModel(entry, model, sha256);
            _onLoaded?.Invoke(loaded, started.Elapsed);
            return loaded;
        }, WorkPriority.Interactive, CancellationToken.None);
        // A failed load is forgotten even when nobody waits for it any more (waiters also forget it themselves).
        // Not ExecuteSynchronously: a load that fails at once would run this inside the Lazy's factory, before
        // the Lazy holds the task it compares against.
        load.ContinueWith(failed => Forget(entry.Name, failed), CancellationToken.None,
            TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
        return load;
    }

    /// <summary>
    /// Forgets the loaded model <paramref name="name"/> (after it was replaced or removed), so the next request loads
    /// the catalog's current one. It is not disposed here: a planned request may still hold it on the torch thread;
    /// once nothing refers to it the tensors' finalizers free it.
    /// </summary>
    public void Forget(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (string key in _models.Keys.Where(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)).ToList())
            _models.TryRemove(key, out _);
    }

    private void Forget(string name, Task<LoadedModel> failed)
    {
        if (_models.TryGetValue(name, out Lazy<Task<LoadedModel>>? lazy) && lazy.IsValueCreated && ReferenceEquals(lazy.Value, failed))
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(name, lazy));
    }

    /// <summary>Disposes the loaded models on the torch thread (directly, if the executor already stopped).</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (Lazy<Task<LoadedModel>> lazy in _models.Values)
        {
            if (!lazy.IsValueCreated || !lazy.Value.IsCompletedSuccessfully)
                continue;
            ICamModel model = lazy.Value.Result.Model;
            try
            {
                _executor.RunAsync(_ => model.Dispose(), WorkPriority.Interactive, CancellationToken.None).Wait(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is ObjectDisposedException or AggregateException or InvalidOperationException)
            {
                model.Dispose();
            }
        }
        _models.Clear();
    }
}
