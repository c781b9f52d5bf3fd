using System.Collections.Concurrent;
using System.Diagnostics;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine;

/// <summary>
/// The one place a CAM request is understood: models, validation into an <see cref="ExplainPlan"/>, which methods
/// apply, preprocessing, scheduling on the <see cref="TorchExecutor"/>, placement. Front ends (studio, HTTP API,
/// jobs, CLI) parse input, call this, and present plain results; they never see a tensor or an <see cref="ICamModel"/>.
/// </summary>
/// <remarks>
/// One-pass methods run as quick work; plans with extra forward passes run as long work that, before each chunk of
/// passes, lets quick work of other owners run (<see cref="TorchExecutor.RunQuickWorkOfOthers"/>), so one user's
/// Score-CAM holds another's Grad-CAM up by one short chunk, not by all of it.
/// </remarks>
public sealed partial class CamEngine : IDisposable
{
    /// <summary>Most photos one explain call takes.</summary>
    public const int MaxPhotosPerRequest = 64;

    private readonly TorchExecutor _executor;
    private readonly BaselineScoreCache _baselineScores = new();
    private readonly LoadedModels? _models;
    private readonly string _configuredDefault;
    private readonly ConcurrentDictionary<string, ICamModel> _added = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="executor">The torch thread every tensor operation runs on (not owned).</param>
    /// <param name="models">The catalog's loaded models (not owned); null: only models given to <see cref="AddModel"/>.</param>
    /// <param name="defaultModel">The model a request without one uses (default: <see cref="ModelCatalog.DefaultModelName"/>).</param>
    public CamEngine(TorchExecutor executor, LoadedModels? models = null, string? defaultModel = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        _executor = executor;
        _models = models;
        _configuredDefault = string.IsNullOrWhiteSpace(defaultModel) ? ModelCatalog.DefaultModelName : defaultModel.Trim();
    }

    /// <summary>The methods this engine knows; register user-written methods here.</summary>
    public CamMethodRegistry Methods { get; } = new();

    /// <summary>
    /// The model a request without one uses: the catalog's chosen default (<see cref="SetDefaultModel"/>, the newest
    /// wish, kept in the models folder), else the one given at construction, else <see cref="ModelCatalog.DefaultModelName"/>.
    /// </summary>
    public string DefaultModel => _models?.Catalog.ChosenDefault ?? _configuredDefault;

    /// <summary>Makes <paramref name="model"/> available as <paramref name="name"/> (before catalog models of that name); the engine owns and disposes it.</summary>
    public void AddModel(string name, ICamModel model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(model);
        if (!_added.TryAdd(name.Trim(), model))
            throw new ArgumentException($"A model named '{name}' was already added.", nameof(name));
    }

    /// <summary>
    /// Loads a model that is not (or not only) in the catalog: a model folder, an .onnx file, or a torchvision
    /// architecture with <paramref name="weights"/> (<see cref="ModelCatalog.Load(string, TorchSharp.torch.Device, string?)"/>),
    /// on the torch thread, and adds it as <see cref="AddModel"/> does. Returns the name to put in a request (the
    /// model's own name, made unique among added models). A file that is missing or will not load is a
    /// <see cref="CamRequestException"/> on "model".
    /// </summary>
    public async Task<string> AddModelFileAsync(string nameOrPath, string? weights = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        ModelCatalog catalog = _models?.Catalog ?? throw new InvalidOperationException("Model files are loaded through the catalog: create the engine with LoadedModels.");
        ICamModel model;
        try
        {
            model = await _executor.RunAsync(_ => catalog.Load(nameOrPath, TorchRuntime.DefaultDevice, weights),
                WorkPriority.Interactive, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelCatalogException ex)
        {
            throw new CamRequestException(ex.Kind == ModelCatalogErrorKind.MissingModel ? CamRequestErrorKind.UnknownModel : CamRequestErrorKind.ModelLoadFailed,
                CamRequestFields.Model, ex.Message, ex);
        }
        string name = model.Name;
        for (int n = 2; !_added.TryAdd(name, model); n++)
            name = $"{model.Name}-{n}";
        return name;
    }

    /// <summary>Every model a request may name: those added, then the catalog's (broken ones listed with their problem).</summary>
    public IReadOnlyList<EngineModelSummary> ListModels()
    {
        var list = _added.Select(p => new EngineModelSummary(p.Key, $"{p.Value.GetType().Name}, {p.Value.Labels.Count} classes", true, "ok")).ToList();
        if (_models is not null)
        {
            list.AddRange(_models.Catalog.List().Where(e => !_added.ContainsKey(e.Name)).Select(e => new EngineModelSummary(e.Name,
                $"{e.Manifest?.Architecture ?? e.Manifest?.Format.ToString() ?? "model"}, {e.ClassCount?.ToString() ?? "?"} classes", e.IsUsable, e.Status)));
        }
        return list;
    }

    /// <summary>Loads (once) and describes model <paramref name="model"/> (null: the default). Errors: <see cref="CamRequestException"/> on "model".</summary>
    public async Task<EngineModelDetails> GetModelAsync(string? model, CancellationToken cancellationToken = default)
    {
        ResolvedModel m = await ResolveModelAsync(model, cancellationToken).ConfigureAwait(false);
        return new EngineModelDetails(m.Name, m.Model.Labels, m.Model.Layers, m.Model.AutoLayer, ResolveLayer(m, null).Name,
            m.Model.Preprocessing, m.Model.Capabilities, m.Sha256)
        {
            AutoLayerRule = m.Model.AutoLayerRule,
            WhyNoGuided = WhyNoGuided(m),
        };
    }

    /// <summary>
    /// Every method of <see cref="Methods"/> for <paramref name="model"/> at <paramref name="layer"/> (null: its default
    /// layer), each available or not with the reason. An unknown model or layer is a <see cref="CamRequestException"/>.
    /// </summary>
    public async Task<IReadOnlyList<MethodAvailability>> MethodsForAsync(string? model, string? layer = null, CancellationToken cancellationToken = default)
    {
        ResolvedModel m = await ResolveModelAsync(model, cancellationToken).ConfigureAwait(false);
        string? unsupported = null;
        LayerInfo? info = null;
        try
        {
            info = ResolveLayer(m, layer);
        }
        catch (CamRequestException ex) when (ex.Kind == CamRequestErrorKind.UnsupportedLayer)
        {
            unsupported = ex.Message;
        }
        IReadOnlyList<ICamMethod> methods = Methods.All;
        return await _executor.RunAsync(_ => methods.Select(method =>
        {
            string? reason = unsupported ?? MethodApplicability.WhyNot(method, m.Model, info!.Name, m.Name);
            return new MethodAvailability(method.Id, method.DisplayName, method.Paper, method.Requirements, reason is null, reason)
            {
                Options = method.Options,
                TakesEigenSmooth = method is IChannelTermsMethod,
            };
        }).ToList(), WorkPriority.Interactive, m.Name, WorkCost.Quick, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks and resolves <paramref name="request"/> once: model (loaded), layer, methods, classes. Anything wrong is a
    /// <see cref="CamRequestException"/> naming the field, thrown before any photo is touched.
    /// </summary>
    public async Task<ExplainPlan> PlanAsync(CamRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        long started = Stopwatch.GetTimestamp();
        Unchecked plan = await ResolveAsync(request, cancellationToken).ConfigureAwait(false);
        // The head check may run the model (an ONNX head is verified numerically): on the torch thread, as quick work.
        return await _executor.RunAsync(_ => plan.Check(Stopwatch.GetElapsedTime(started)),
            request.Priority, request.Owner, WorkCost.Quick, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Plans <paramref name="request"/> as <see cref="PlanAsync"/> does and explains <paramref name="photos"/> with it, in
    /// one piece of torch work (so a quick request waits for the torch thread once).
    /// </summary>
    public async Task<EngineExplanation> ExplainAsync(CamRequest request, IReadOnlyList<Image<Rgb24>> photos,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckPhotos(photos);
        long started = Stopwatch.GetTimestamp();
        Unchecked plan = await ResolveAsync(request, cancellationToken).ConfigureAwait(false);
        return await ExplainAsync(plan.Model.Model.Preprocessing, () => plan.Check(Stopwatch.GetElapsedTime(started)), plan.IsLong,
            request.Priority, request.Owner, photos, progress, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Explains <paramref name="photos"/> (any size; the engine resizes them as the model expects) with
    /// <paramref name="plan"/>: per photo the top predictions and the maps placed on it. Slow plans report
    /// <paramref name="progress"/> (at most about ten times a second) and stop at the next chunk when cancelled.
    /// </summary>
    public Task<EngineExplanation> ExplainAsync(ExplainPlan plan, IReadOnlyList<Image<Rgb24>> photos,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        CheckPhotos(photos);
        return ExplainAsync(plan.Preprocessing, () => plan, plan.IsLong, plan.Priority, plan.Owner, photos, progress,
            Stopwatch.GetTimestamp(), cancellationToken);
    }

    private async Task<EngineExplanation> ExplainAsync(PreprocessingSpec spec, Func<ExplainPlan> planOnTorchThread, bool isLong,
        WorkPriority priority, string owner, IReadOnlyList<Image<Rgb24>> photos, IProgress<ExplainProgress>? progress,
        long started, CancellationToken cancellationToken)
    {
        // Resizing is pixel work: done on the thread pool, so the torch thread only does torch.
        (Image<Rgb24>[] inputs, MapPlacement[] placements) = await Task.Run(() =>
            (photos.Select(p => PhotoPreprocessor.Resize(p, spec)).ToArray(),
             photos.Select(p => PhotoPreprocessor.Placement(p.Width, p.Height, spec)).ToArray()), cancellationToken).ConfigureAwait(false);
        try
        {
            (ExplainPlan plan, IReadOnlyList<PhotoExplanation> explained, TimeSpan forward, TimeSpan all) = await _executor.RunAsync(token =>
            {
                ExplainPlan plan = planOnTorchThread();
                using DisposeScope scope = torch.NewDisposeScope();
                long begun = Stopwatch.GetTimestamp();
                Tensor batch = PhotoPreprocessor.ToBatch(inputs, spec, plan.Model.Device);
                var pacing = new ForwardPacing(plan.ExtraForwardsPerPhoto * inputs.Length * plan.Features.PassesPerPhoto, progress,
                    plan.IsLong ? _executor : null);
                IReadOnlyList<PhotoExplanation> result = FeatureExplainer.Explain(plan.Model, batch, plan.Methods, plan.Features, plan.Classes,
                    pacing, token, out TimeSpan forwardTime);
                return (plan, result, forwardTime, Stopwatch.GetElapsedTime(begun));
            }, priority, owner, isLong ? WorkCost.Long : WorkCost.Quick, cancellationToken).ConfigureAwait(false);

            var result = new PhotoMaps[explained.Count];
            for (int i = 0; i < explained.Count; i++)
            {
                MapPlacement placement = placements[i];
                result[i] = new PhotoMaps(explained[i].TopPredictions, explained[i].Maps.Select(c => new PlacedClassMap(c.Method, c.ClassIndex,
                    c.ClassName, c.Layer, new PlacedMap(c.Map, placement, spec.InputWidth, spec.InputHeight)) { Making = c.Making }).ToList(), placement)
                {
                    Guided = explained[i].Guided,
                };
            }
            var timings = new ExplainTimings(plan.PlanTime.TotalMilliseconds, forward.TotalMilliseconds, Math.Max(0, (all - forward).TotalMilliseconds),
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return new EngineExplanation(plan.ModelName, plan.Layer.Name, result, timings);
        }
        finally
        {
            foreach (Image<Rgb24> input in inputs)
                input.Dispose();
        }
    }

    /// <summary>Disposes the models given to <see cref="AddModel"/>, on the torch thread while it runs.</summary>
    public void Dispose()
    {
        foreach (ICamModel model in _added.Values)
        {
            try
            {
                _executor.RunAsync(_ => model.Dispose(), WorkPriority.Interactive, CancellationToken.None).Wait(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is ObjectDisposedException or AggregateException or InvalidOperationException)
            {
                model.Dispose();
            }
        }
        _added.Clear();
    }

    // ---- resolution ---------------------------------------------------------------------------------------------

    private sealed record ResolvedModel(string Name, ICamModel Model, string? Sha256, string DefaultLayer);

    /// <summary>A request resolved off the torch thread, before the applicability check that may need it.</summary>
    private sealed record Unchecked(ResolvedModel Model, LayerInfo Layer, IReadOnlyList<ICamMethod> Methods, ClassSelection Classes, CamRequest Request,
        ExplainFeatures Features)
    {
        public bool IsLong => Methods.Any(m => m.NeedsExtraForwards);

        /// <summary>On the torch thread: every method applicable, or <see cref="CamRequestErrorKind.MethodNotApplicable"/>.</summary>
        public ExplainPlan Check(TimeSpan planTime)
        {
            foreach (string layer in Features.Layers)
            {
                foreach (ICamMethod method in Methods)
                {
                    if (MethodApplicability.WhyNot(method, Model.Model, layer, Model.Name) is { } reason)
                        throw new CamRequestException(CamRequestErrorKind.MethodNotApplicable, CamRequestFields.Methods, reason);
                }
            }
            return new ExplainPlan(Model.Name, Model.Sha256, Model.Model, Layer, Methods, Classes, Request.Priority, Request.Owner ?? "", planTime)
            {
                Features = Features,
            };
        }
    }

    private async Task<Unchecked> ResolveAsync(CamRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<ICamMethod> methods = ResolveMethods(request);
        ResolvedModel m = await ResolveModelAsync(request.Model, cancellationToken).ConfigureAwait(false);
        (LayerInfo layer, ExplainFeatures features) = ResolveFeatures(m, request, ref methods);
        return new Unchecked(m, layer, methods, ResolveClasses(m, request), request, features);
    }

    private async Task<ResolvedModel> ResolveModelAsync(string? name, CancellationToken cancellationToken)
    {
        string wanted = string.IsNullOrWhiteSpace(name) ? DefaultModel : name.Trim();
        if (_added.TryGetValue(wanted, out ICamModel? added))
            return new ResolvedModel(_added.Keys.First(k => string.Equals(k, wanted, StringComparison.OrdinalIgnoreCase)), added, null, LayerNames.Auto);
        if (_models is null)
            throw new CamRequestException(CamRequestErrorKind.UnknownModel, CamRequestFields.Model,
                $"No model named '{wanted}'. Models: {string.Join(", ", _added.Keys)}.");
        try
        {
            LoadedModel loaded = await _models.GetAsync(wanted, cancellationToken).ConfigureAwait(false);
            return new ResolvedModel(loaded.Name, loaded.Model, loaded.Sha256, loaded.Entry.Manifest?.DefaultLayer ?? LayerNames.Auto);
        }
        catch (ModelCatalogException ex)
        {
            throw new CamRequestException(ex.Kind switch
            {
                ModelCatalogErrorKind.MissingModel => CamRequestErrorKind.UnknownModel,
                ModelCatalogErrorKind.BrokenModel => CamRequestErrorKind.BrokenModel,
                _ => CamRequestErrorKind.ModelLoadFailed,
            }, CamRequestFields.Model, ex.Message, ex);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException or CamRequestException))
        {
            // Whatever a model file does wrong while loading is a property of that file, not of the engine.
            throw new CamRequestException(CamRequestErrorKind.ModelLoadFailed, CamRequestFields.Model,
                $"Model '{wanted}' could not be loaded: {ex.Message}", ex);
        }
    }

    private IReadOnlyList<ICamMethod> ResolveMethods(CamRequest request)
    {
        var methods = new List<ICamMethod>();
        foreach (string id in request.Methods ?? [])
        {
            ICamMethod method = Methods.Find(id ?? "") ?? throw new CamRequestException(CamRequestErrorKind.UnknownMethod, CamRequestFields.Methods,
                $"Unknown CAM method '{id}'. Valid methods: {string.Join(", ", Methods.All.Select(m => m.Id))}.");
            methods.Add(method);
        }
        methods.AddRange(request.MethodObjects ?? []);
        if (methods.Count == 0)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Methods,
                $"No CAM method requested. Valid methods: {string.Join(", ", Methods.All.Select(m => m.Id))}.");
        return WithOptions(methods.DistinctBy(m => m.Id, StringComparer.OrdinalIgnoreCase).ToList(), request.Options ?? new Dictionary<string, string>());
    }

    /// <summary>Each method configured with its options from the request; a key no requested method takes is an error.</summary>
    private static List<ICamMethod> WithOptions(List<ICamMethod> methods, IReadOnlyDictionary<string, string> given)
    {
        foreach (string key in given.Keys)
        {
            string k = key.Trim();
            int dot = k.IndexOf('.');
            bool known = dot < 0
                ? methods.Any(m => m.Options.Any(o => string.Equals(o.Name, k, StringComparison.OrdinalIgnoreCase)))
                : methods.Any(m => string.Equals(m.Id, k[..dot], StringComparison.OrdinalIgnoreCase)
                                   && m.Options.Any(o => string.Equals(o.Name, k[(dot + 1)..], StringComparison.OrdinalIgnoreCase)));
            if (!known)
            {
                string offered = string.Join("; ", methods.Where(m => m.Options.Count > 0)
                    .Select(m => $"{m.Id}: {string.Join(", ", m.Options.Select(o => o.Name))}"));
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Options,
                    $"Unknown option '{k}' for {string.Join(", ", methods.Select(m => m.Id))}. " +
                    (offered.Length > 0 ? $"Options they take: {offered}." : "None of them takes options."));
            }
        }
        var configured = new List<ICamMethod>(methods.Count);
        foreach (ICamMethod method in methods)
        {
            if (method.Options.Count == 0)
            {
                configured.Add(method);
                continue;
            }
            try
            {
                configured.Add(method.WithOptions(MethodOptionValues.Resolve(method.Id, method.Options, given)));
            }
            catch (FormatException ex)
            {
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Options, ex.Message, ex);
            }
        }
        return configured;
    }

    private static LayerInfo ResolveLayer(ResolvedModel m, string? layer)
    {
        string name = string.IsNullOrWhiteSpace(layer) ? m.DefaultLayer : layer.Trim();
        if (string.Equals(name, LayerNames.Auto, StringComparison.OrdinalIgnoreCase))
            name = m.Model.AutoLayer;
        LayerInfo info = m.Model.Layers.FirstOrDefault(l => l.Name == name) ?? throw new CamRequestException(CamRequestErrorKind.UnknownLayer,
            CamRequestFields.Layer, LayerNames.UnknownLayerMessage(m.Name, name, m.Model.Layers));
        // Methods read an N×C×H×W map: a 4-D layer, or a transformer's token grid the model reshapes (LayerInfo.Grid).
        if (!info.IsMap)
            throw new CamRequestException(CamRequestErrorKind.UnsupportedLayer, CamRequestFields.Layer,
                $"Layer '{info.Name}' of model '{m.Name}' outputs {info.ShapeText}; class activation maps need a 4-D N×C×H×W activation " +
                $"or a token grid ({TokenGrid.Rule}). Pick a convolutional or token-grid layer (or \"{LayerNames.Auto}\").");
        return info;
    }

    private static ClassSelection ResolveClasses(ResolvedModel m, CamRequest request)
    {
        int count = m.Model.Labels.Count;
        switch (request.ClassSelection)
        {
            case ClassSelection.TopK { K: var k } when k < 1 || k > count:
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Classes,
                    $"Top-K needs 1 ≤ K ≤ {count} (the classes of model '{m.Name}'), got {k}.");
            case ClassSelection.Indices { Classes: var indices } when indices is null || indices.Count == 0:
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Classes,
                    "No class given; use top1, top3, topK, class indices or class names.");
            case ClassSelection.Indices { Classes: var indices } when indices.Any(c => c < 0 || c >= count):
                throw new CamRequestException(CamRequestErrorKind.UnknownClass, CamRequestFields.Classes,
                    $"Class index {indices.First(c => c < 0 || c >= count)} is out of range: model '{m.Name}' has classes 0–{count - 1}.");
            case { } selection:
                return selection;
        }
        try
        {
            return ClassSelectionParser.Parse(string.IsNullOrWhiteSpace(request.Classes) ? "top1" : request.Classes, m.Model.Labels, m.Name);
        }
        catch (ClassSelectionException ex)
        {
            throw new CamRequestException(CamRequestErrorKind.UnknownClass, CamRequestFields.Classes, ex.Message, ex);
        }
    }

    private static void CheckPhotos(IReadOnlyList<Image<Rgb24>> photos)
    {
        ArgumentNullException.ThrowIfNull(photos);
        if (photos.Count == 0)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Image, "No photo to explain; give at least one.");
        if (photos.Count > MaxPhotosPerRequest)
            throw new CamRequestException(CamRequestErrorKind.TooMuchWork, CamRequestFields.Image,
                $"{photos.Count} photos in one request; send at most {MaxPhotosPerRequest} at a time.");
        if (photos.Any(p => p is null))
            throw new CamRequestException(CamRequestErrorKind.BadPhoto, CamRequestFields.Image, "A photo in the request is missing (null).");
    }
}
