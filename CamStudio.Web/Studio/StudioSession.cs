using System.Collections.Concurrent;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Runtime;

namespace CamStudio.Web.Studio;

/// <summary>
/// One browser session's photos and computed maps (scoped: one per Blazor circuit).
/// Maps are cached per photo, model, layer, method and class, so re-colouring never recomputes a CAM.
/// Every request goes to the engine as interactive work of this session's owner, so the engine's fair scheduling
/// runs it between the chunks of another session's slow method; a session has at most one request in flight.
/// </summary>
public sealed class StudioSession : IDisposable
{
    private readonly IStudioEngine _engine;
    private readonly StudioPictures _pictures;
    private readonly Func<string> _owner;
    private readonly ILogger<StudioSession> _logger;
    private readonly StudioPhotoStore? _store;
    private readonly List<StudioPhoto> _photos = [];
    private readonly SemaphoreSlim _oneJobAtATime = new(1, 1);
    private readonly ConcurrentDictionary<MapKey, PlacedClassMap> _maps = new();
    private readonly ConcurrentDictionary<(Guid Photo, string Model), IReadOnlyList<Prediction>> _predictions = new();
    private readonly ConcurrentDictionary<(Guid Photo, string Model, int ClassIndex), GuidedGradient> _guided = new();
    private readonly ConcurrentDictionary<(Guid Photo, string Model, string Layer, int K), ConceptExplanation> _concepts = new();

    /// <param name="owner">The session id the engine schedules this session's work under (read when a request is sent).</param>
    /// <param name="store">Where uploads are kept for the browser session beyond this circuit (reloads, new tabs); none: not kept.</param>
    public StudioSession(IStudioEngine engine, StudioPictures pictures, Func<string> owner, ILogger<StudioSession> logger, StudioPhotoStore? store = null)
    {
        _store = store;
        _engine = engine;
        _pictures = pictures;
        _owner = owner;
        _logger = logger;
    }

    public IReadOnlyList<StudioPhoto> Photos => _photos;

    /// <summary>The session id the engine schedules this session's work under (views that call the engine directly use it too).</summary>
    public string Owner => _owner();

    /// <summary>The explorer's last state (its URL query), so coming back to the studio's plain URL within the circuit restores it.</summary>
    public string? LastQuery { get; set; }

    /// <summary>The most recent timings of a one-pass explanation: the forward time a slow method's estimate starts from.</summary>
    public ExplainTimings? LastQuickTimings { get; private set; }

    /// <summary>Decodes and adds one uploaded photo; a bad file throws and leaves the others as they were.</summary>
    public async Task<StudioPhoto> AddPhotoAsync(string fileName, Stream content, CancellationToken cancellationToken)
    {
        int max = _pictures.Limits.MaxPhotos;
        if (_photos.Count >= max)
            throw new StudioInputException($"{fileName}: a session holds at most {max} photos; remove one first.");
        byte[] bytes;
        using (var buffer = new MemoryStream())
        {
            await content.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }
        StudioPhoto photo = await _pictures.DecodePhotoAsync(fileName, new MemoryStream(bytes), cancellationToken);
        _photos.Add(photo);
        _store?.Keep(_owner(), photo.Id, fileName, bytes, max);
        _logger.LogInformation("Session added {File} ({Width}×{Height})", fileName, photo.Width, photo.Height);
        return photo;
    }

    /// <summary>
    /// Brings back the browser session's kept photos (under their ids) that this circuit does not hold yet: after a
    /// reload or in a new tab. A kept photo that no longer decodes is forgotten.
    /// </summary>
    public async Task RestoreAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
            return;
        string owner = _owner();
        foreach (KeptPhoto kept in _store.Of(owner))
        {
            if (_photos.Any(p => p.Id == kept.Id) || _photos.Count >= _pictures.Limits.MaxPhotos)
                continue;
            try
            {
                _photos.Add(await _pictures.DecodePhotoAsync(kept.FileName, new MemoryStream(kept.Bytes), cancellationToken, kept.Id));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Kept photo {File} could not be restored", kept.FileName);
                _store.Forget(owner, kept.Id);
            }
        }
    }

    public void RemovePhoto(StudioPhoto photo)
    {
        if (!_photos.Remove(photo))
            return;
        _store?.Forget(_owner(), photo.Id);
        foreach (MapKey key in _maps.Keys.Where(k => k.Photo == photo.Id).ToList())
            _maps.TryRemove(key, out _);
        foreach (var key in _predictions.Keys.Where(k => k.Photo == photo.Id).ToList())
            _predictions.TryRemove(key, out _);
        foreach (var key in _guided.Keys.Where(k => k.Photo == photo.Id).ToList())
            _guided.TryRemove(key, out _);
        foreach (var key in _concepts.Keys.Where(k => k.Photo == photo.Id).ToList())
            _concepts.TryRemove(key, out _);
        photo.Dispose();
    }

    /// <summary>
    /// Predictions and the maps for every (class, method) pair; cached maps are reused and the missing ones come
    /// from one engine call (one forward pass). With <paramref name="classes"/> null, the photo's top-1 class is used.
    /// </summary>
    public async Task<SessionExplanation> ExplainAsync(
        StudioPhoto photo, string model, string layer, IReadOnlyList<string> methods, IReadOnlyList<int>? classes,
        CancellationToken cancellationToken, IProgress<ExplainProgress>? progress = null, IReadOnlyDictionary<string, string>? options = null,
        FeatureRequest? features = null)
    {
        // The user's options are scoped by method ("sscam.samples"): only those of the methods asked for go to the engine.
        options = ForMethods(options, methods);
        features ??= FeatureRequest.None;
        if (classes is not null && TryFromCache(photo, model, layer, methods, classes, options, features) is { } cached)
            return cached;

        await _oneJobAtATime.WaitAsync(cancellationToken);
        try
        {
            if (classes is not null && TryFromCache(photo, model, layer, methods, classes, options, features) is { } cachedMeanwhile)
                return cachedMeanwhile;
            CamRequest request = features.ApplyTo(new CamRequest
            {
                Model = model,
                Methods = methods,
                Layer = layer,
                Options = options,
                ClassSelection = classes is null ? ClassSelection.Top1 : new ClassSelection.Indices(classes),
                Priority = WorkPriority.Interactive,
                Owner = _owner(),
            });
            EngineExplanation result = await _engine.ExplainAsync(request, [photo.Pixels], progress, cancellationToken);
            PhotoMaps maps = result.Photos[0];
            if (!methods.Any(id => _engine.Methods.FirstOrDefault(m => m.Id == id)?.IsSlow == true))
                LastQuickTimings = result.Timings;
            _predictions[(photo.Id, model)] = maps.TopPredictions;
            foreach (PlacedClassMap map in maps.Maps)
                _maps[new MapKey(photo.Id, model, layer, map.Method, OptionsText(options, map.Method), features.KeyOf(map.Method), map.ClassIndex)] = map;
            foreach (GuidedGradient guided in maps.Guided)
                _guided[(photo.Id, model, guided.ClassIndex)] = guided;
            return new SessionExplanation(maps.TopPredictions, maps.Maps) { Guided = maps.Guided };
        }
        finally
        {
            _oneJobAtATime.Release();
        }
    }

    /// <summary>The photo's <paramref name="k"/> concepts at a layer (Deep Feature Factorization by the engine), cached.</summary>
    public async Task<ConceptExplanation> ConceptsAsync(StudioPhoto photo, string model, string layer, int k, CancellationToken cancellationToken)
    {
        var key = (photo.Id, model, layer, k);
        if (_concepts.TryGetValue(key, out ConceptExplanation? cached))
            return cached;
        await _oneJobAtATime.WaitAsync(cancellationToken);
        try
        {
            if (_concepts.TryGetValue(key, out cached))
                return cached;
            var request = new ConceptRequest { Model = model, Layer = layer, Concepts = k, Priority = WorkPriority.Interactive, Owner = _owner() };
            return _concepts[key] = await _engine.ConceptsAsync(request, photo.Pixels, cancellationToken);
        }
        finally
        {
            _oneJobAtATime.Release();
        }
    }

    /// <summary>A cached map, or null when it was never computed.</summary>
    public PlacedClassMap? CachedMap(StudioPhoto photo, string model, string layer, string method, int classIndex,
        IReadOnlyDictionary<string, string>? options = null, FeatureRequest? features = null) =>
        _maps.TryGetValue(new MapKey(photo.Id, model, layer, method, OptionsText(options, method), (features ?? FeatureRequest.None).KeyOf(method), classIndex),
            out PlacedClassMap? map) ? map : null;

    private SessionExplanation? TryFromCache(StudioPhoto photo, string model, string layer, IReadOnlyList<string> methods, IReadOnlyList<int> classes,
        IReadOnlyDictionary<string, string> options, FeatureRequest features)
    {
        if (!_predictions.TryGetValue((photo.Id, model), out var predictions))
            return null;
        var maps = new List<PlacedClassMap>(methods.Count * classes.Count);
        foreach (int classIndex in classes)
        {
            foreach (string method in methods)
            {
                if (CachedMap(photo, model, layer, method, classIndex, options, features) is not { } map)
                    return null;
                maps.Add(map);
            }
        }
        // Guided backpropagation depends on the photo, model and class only: kept once per class.
        var guided = new List<GuidedGradient>();
        if (features.Guided)
        {
            foreach (int classIndex in classes)
            {
                if (!_guided.TryGetValue((photo.Id, model, classIndex), out GuidedGradient? g))
                    return null;
                guided.Add(g);
            }
        }
        return new SessionExplanation(predictions, maps) { Guided = guided };
    }

    public void Dispose()
    {
        foreach (StudioPhoto photo in _photos)
            photo.Dispose();
        _photos.Clear();
        _maps.Clear();
        _guided.Clear();
        _concepts.Clear();
        _oneJobAtATime.Dispose();
    }

    private static Dictionary<string, string> ForMethods(IReadOnlyDictionary<string, string>? options, IReadOnlyList<string> methods) =>
        (options ?? new Dictionary<string, string>())
            .Where(p => methods.Any(m => p.Key.StartsWith(m + ".", StringComparison.OrdinalIgnoreCase)))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>One method's options as text, for its cache key: maps made with other options are other maps.</summary>
    private static string OptionsText(IReadOnlyDictionary<string, string>? options, string method) =>
        MethodOptionText.Format(ForMethods(options, [method]));

    private readonly record struct MapKey(Guid Photo, string Model, string Layer, string Method, string Options, string Features, int ClassIndex);
}

/// <summary>A photo's predictions and the maps a view asked for.</summary>
public sealed record SessionExplanation(IReadOnlyList<Prediction> TopPredictions, IReadOnlyList<PlacedClassMap> Maps)
{
    /// <summary>Guided backpropagation images per explained class, when the request asked for them.</summary>
    public IReadOnlyList<GuidedGradient> Guided { get; init; } = [];

    public PlacedClassMap? Find(string method, int classIndex) =>
        Maps.FirstOrDefault(m => m.Method == method && m.ClassIndex == classIndex);
}
