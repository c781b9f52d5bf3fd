using System.Collections.Concurrent;
using CamStudio.Engine.Cam;

namespace CamStudio.Web.Services;

/// <summary>
/// One browser session's photos and computed maps (scoped: one per Blazor circuit).
/// Maps are cached per photo, model, layer, method and class, so re-colouring never recomputes a CAM.
/// A session has at most one engine job queued at a time: with every session limited to one job, the torch
/// thread's FIFO queue serves sessions in turn, so one busy session cannot starve the others.
/// </summary>
public sealed class StudioSession : IDisposable
{
    private readonly IStudioEngine _engine;
    private readonly ILogger<StudioSession> _logger;
    private readonly List<StudioPhoto> _photos = [];
    private readonly SemaphoreSlim _oneJobAtATime = new(1, 1);
    private readonly ConcurrentDictionary<MapKey, ClassMap> _maps = new();
    private readonly ConcurrentDictionary<(Guid Photo, string Model), IReadOnlyList<Prediction>> _predictions = new();

    public StudioSession(IStudioEngine engine, ILogger<StudioSession> logger)
    {
        _engine = engine;
        _logger = logger;
    }

    public IReadOnlyList<StudioPhoto> Photos => _photos;

    /// <summary>Decodes and adds one uploaded photo; a bad file throws <see cref="StudioInputException"/> and leaves the others as they were.</summary>
    public async Task<StudioPhoto> AddPhotoAsync(string fileName, Stream content, CancellationToken cancellationToken)
    {
        int max = _engine.Limits.MaxPhotos;
        if (_photos.Count >= max)
            throw new StudioInputException($"{fileName}: a session holds at most {max} photos; remove one first.");
        StudioPhoto photo = await _engine.DecodePhotoAsync(fileName, content, cancellationToken);
        _photos.Add(photo);
        _logger.LogInformation("Session added {File} ({Width}×{Height})", fileName, photo.Width, photo.Height);
        return photo;
    }

    public void RemovePhoto(StudioPhoto photo)
    {
        if (!_photos.Remove(photo))
            return;
        foreach (MapKey key in _maps.Keys.Where(k => k.Photo == photo.Id).ToList())
            _maps.TryRemove(key, out _);
        foreach (var key in _predictions.Keys.Where(k => k.Photo == photo.Id).ToList())
            _predictions.TryRemove(key, out _);
        photo.Dispose();
    }

    /// <summary>
    /// Predictions and the maps for every (class, method) pair; cached maps are reused and the missing ones come
    /// from one engine call (one forward pass). With <paramref name="classes"/> null, the photo's top-1 class is used.
    /// </summary>
    public async Task<SessionExplanation> ExplainAsync(
        StudioPhoto photo, string model, string layer, IReadOnlyList<string> methods, IReadOnlyList<int>? classes,
        CancellationToken cancellationToken)
    {
        if (methods.Count == 0)
            throw new StudioInputException("Pick at least one method.");
        if (classes is not null && TryFromCache(photo, model, layer, methods, classes) is { } cached)
            return cached;

        await _oneJobAtATime.WaitAsync(cancellationToken);
        try
        {
            if (classes is not null && TryFromCache(photo, model, layer, methods, classes) is { } cachedMeanwhile)
                return cachedMeanwhile;
            ClassSelection selection = classes is null ? ClassSelection.Top1 : new ClassSelection.Indices(classes);
            PhotoExplanation result = await _engine.ExplainAsync(
                photo, model, new ExplainRequest(methods, selection, layer), StudioPriority.Interactive, cancellationToken);
            _predictions[(photo.Id, model)] = result.TopPredictions;
            foreach (ClassMap map in result.Maps)
                _maps[new MapKey(photo.Id, model, layer, map.Method, map.ClassIndex)] = map;
            return new SessionExplanation(result.TopPredictions, result.Maps);
        }
        finally
        {
            _oneJobAtATime.Release();
        }
    }

    /// <summary>A cached map, or null when it was never computed.</summary>
    public ClassMap? CachedMap(StudioPhoto photo, string model, string layer, string method, int classIndex) =>
        _maps.TryGetValue(new MapKey(photo.Id, model, layer, method, classIndex), out ClassMap? map) ? map : null;

    private SessionExplanation? TryFromCache(StudioPhoto photo, string model, string layer, IReadOnlyList<string> methods, IReadOnlyList<int> classes)
    {
        if (!_predictions.TryGetValue((photo.Id, model), out var predictions))
            return null;
        var maps = new List<ClassMap>(methods.Count * classes.Count);
        foreach (int classIndex in classes)
        {
            foreach (string method in methods)
            {
                if (CachedMap(photo, model, layer, method, classIndex) is not { } map)
                    return null;
                maps.Add(map);
            }
        }
        return new SessionExplanation(predictions, maps);
    }

    public void Dispose()
    {
        foreach (StudioPhoto photo in _photos)
            photo.Dispose();
        _photos.Clear();
        _maps.Clear();
        _oneJobAtATime.Dispose();
    }

    private readonly record struct MapKey(Guid Photo, string Model, string Layer, string Method, int ClassIndex);
}

/// <summary>A photo's predictions and the maps a view asked for.</summary>
public sealed record SessionExplanation(IReadOnlyList<Prediction> TopPredictions, IReadOnlyList<ClassMap> Maps)
{
    public ClassMap? Find(string method, int classIndex) =>
        Maps.FirstOrDefault(m => m.Method == method && m.ClassIndex == classIndex);
}
