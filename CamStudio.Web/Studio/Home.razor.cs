using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Web.Jobs.Present;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.JSInterop;
using MudBlazor;

namespace CamStudio.Web.Studio;

/// <summary>
/// The studio: upload photos, read the predictions, explore one map, compare classes × methods.
/// Each view (explore, grid, re-colouring) has its own <see cref="CancellationTokenSource"/>: a new choice cancels
/// the stale work. Maps are cached by the session, so opacity and colormap changes only re-colour.
/// </summary>
public sealed partial class Home : IDisposable
{
    internal const string AutoLayer = "auto";
    internal const int MaxGridItems = 4;

    private PhotoLimits _limits = PhotoLimits.Default;
    private ModelFolder _folder = new("", [], null);
    private EngineModelDetails? _details;
    private IReadOnlyList<MethodAvailability> _availability = [];
    private readonly Dictionary<string, string> _fieldErrors = [];
    private bool _modelLoading;
    private bool _interactive;
    private bool _uploading;
    private string? _error;

    private StudioPhoto? _photo;
    private string _model = "";
    private string _method = "";
    private string _layer = AutoLayer;
    private ClassOption? _classOption;
    private IReadOnlyList<Prediction> _predictions = [];

    private double _opacity = 0.5;
    private string _colormap = "";
    private readonly Dictionary<string, string> _colorBarUrls = [];
    private int _tab;

    private bool _exploreBusy;
    private RenderedOverlay? _overlay;
    private bool _overlayStale;
    private ExplainProgress? _progress;
    private string? _slowEstimate;

    private readonly List<ClassOption> _gridClasses = [];
    private ClassOption? _gridClassToAdd;
    private MudAutocomplete<ClassOption>? _gridClassPicker;
    private IReadOnlyCollection<string> _gridMethods = [];
    private bool _sharedScale;
    private bool _gridBusy;
    private GridView? _grid;
    private PresenterState? _presenterState;

    private CancellationTokenSource? _exploreCts;
    private CancellationTokenSource? _recolourCts;
    private CancellationTokenSource? _gridCts;
    private readonly CancellationTokenSource _lifetime = new();

    [Inject] private IStudioEngine Engine { get; set; } = null!;

    [Inject] private StudioPictures Pictures { get; set; } = null!;

    [Inject] private StudioSession Session { get; set; } = null!;

    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Inject] private IJSRuntime JS { get; set; } = null!;

    [Inject] private ILogger<Home> Logger { get; set; } = null!;

    [Inject] private IServiceProvider Services { get; set; } = null!;

    /// <summary>A batch job's photo to open (<c>/?job=ID&amp;photo=N</c>, linked from the job's results page).</summary>
    [SupplyParameterFromQuery(Name = "job")]
    public string? JobId { get; set; }

    [SupplyParameterFromQuery(Name = "photo")]
    public int? JobPhoto { get; set; }

    private string? ColorBarUrl => _colorBarUrls.GetValueOrDefault(_colormap);

    protected override void OnInitialized()
    {
        _limits = Pictures.Limits;
        _folder = ModelFolder.Of(Engine);
        _model = _folder.DefaultModel ?? _folder.Models.FirstOrDefault()?.Name ?? "";
        // Grad-CAM works on any layer of any model, so it is the first map a visitor sees.
        _method = Engine.Methods.FirstOrDefault(m => m.Id == "gradcam")?.Id ?? Engine.Methods.FirstOrDefault()?.Id ?? "";
        _gridMethods = _method.Length > 0 ? [_method] : [];
        _colormap = Pictures.Colormaps.FirstOrDefault() ?? "jet";
        EnsureColorBar();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
            return;
        // The interactivity marker: end-to-end tests wait for it before clicking.
        _interactive = true;
        StateHasChanged();
        if (_model.Length > 0)
            await LoadModelDetailsAsync();
        if (JobId is not null && JobPhoto is not null)
            await OpenJobPhotoAsync(JobId, JobPhoto.Value);
    }

    private async Task OpenJobPhotoAsync(string jobId, int index)
    {
        // Batch jobs are optional: without them the link has nothing to open.
        if (Services.GetService<IJobPhotoSource>() is not { } jobs)
            return;
        try
        {
            // Another session's job is "no photo", as in the API.
            await using JobPhotoFile? file = await jobs.OpenAsync(jobId, index, Services.GetRequiredService<CamStudio.Web.Access.CircuitCaller>().Value, _lifetime.Token);
            if (file is null)
            {
                Snackbar.Add($"Job {jobId} has no photo {index}.", Severity.Warning);
                return;
            }
            StudioPhoto added = await Session.AddPhotoAsync(file.FileName, file.Content, _lifetime.Token);
            await SelectPhotoAsync(added);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ShowError($"Photo {index} of job {jobId} could not be opened", ex);
            StateHasChanged();
        }
    }

    /// <summary>Which methods apply to the model at the chosen layer (the pickers disable the others, with the reason).</summary>
    private async Task LoadMethodsAsync()
    {
        try
        {
            _availability = await Engine.MethodsForAsync(_model, _layer, _lifetime.Token);
            _fieldErrors.Remove(CamRequestFields.Layer);
        }
        catch (CamRequestException ex)
        {
            _availability = [];
            ShowError("The methods could not be listed", ex);
        }
    }

    private async Task LoadModelDetailsAsync()
    {
        _modelLoading = true;
        _details = null;
        StateHasChanged();
        try
        {
            _details = await Engine.GetModelAsync(_model, _lifetime.Token);
            _fieldErrors.Remove(CamRequestFields.Model);
            await LoadMethodsAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ShowError($"Model {_model} could not be loaded", ex);
        }
        finally
        {
            _modelLoading = false;
        }
        StateHasChanged();
    }

    // ---- upload ----

    private async Task OnFilesChangedAsync(InputFileChangeEventArgs args)
    {
        _uploading = true;
        StateHasChanged();
        StudioPhoto? first = null;
        try
        {
            foreach (IBrowserFile file in args.GetMultipleFiles(Math.Max(args.FileCount, 1)))
            {
                try
                {
                    StudioPhoto added = await AddPhotoAsync(file);
                    first ??= added;
                }
                catch (Exception ex) when (ex is StudioInputException or PhotoDecodeException)
                {
                    Logger.LogInformation("Upload rejected: {Message}", ex.Message);
                    Snackbar.Add(ex.Message, Severity.Error);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Logger.LogWarning(ex, "Upload of {File} failed", file.Name);
                    Snackbar.Add($"{file.Name}: the upload failed ({ex.Message}).", Severity.Error);
                }
            }
        }
        finally
        {
            _uploading = false;
        }
        if (first is not null)
            await SelectPhotoAsync(first);
    }

    private async Task<StudioPhoto> AddPhotoAsync(IBrowserFile file)
    {
        if (file.Size > _limits.MaxBytes)
            throw new StudioInputException($"{file.Name} is {FormatBytes(file.Size)}; the limit is {FormatBytes(_limits.MaxBytes)}.");
        if (Session.Photos.Count >= _limits.MaxPhotos)
            throw new StudioInputException($"{file.Name}: a session holds at most {_limits.MaxPhotos} photos; remove one first.");
        // The browser's stream is read whole first (bounded by the byte limit), so a slow upload never holds the engine.
        using var buffer = new MemoryStream();
        try
        {
            await using Stream upload = file.OpenReadStream(_limits.MaxBytes, _lifetime.Token);
            await upload.CopyToAsync(buffer, _lifetime.Token);
        }
        catch (IOException ex)
        {
            throw new StudioInputException($"{file.Name} could not be read: {ex.Message}", ex);
        }
        buffer.Position = 0;
        return await Session.AddPhotoAsync(file.Name, buffer, _lifetime.Token);
    }

    private async Task SelectPhotoAsync(StudioPhoto photo)
    {
        if (ReferenceEquals(photo, _photo))
            return;
        _photo = photo;
        _classOption = null; // each photo starts on its own top-1 class
        _predictions = [];
        _overlay = null;
        _grid = null;
        await RefreshAsync();
    }

    private async Task RemovePhotoAsync(StudioPhoto photo)
    {
        bool wasCurrent = ReferenceEquals(photo, _photo);
        if (wasCurrent)
        {
            Cancel(ref _exploreCts);
            Cancel(ref _gridCts);
            Cancel(ref _recolourCts);
            _photo = null;
            _overlay = null;
            _grid = null;
            _predictions = [];
        }
        Session.RemovePhoto(photo);
        if (wasCurrent && Session.Photos.Count > 0)
            await SelectPhotoAsync(Session.Photos[0]);
    }

    // ---- pickers ----

    private async Task OnModelChangedAsync(string model)
    {
        if (model == _model)
            return;
        _model = model;
        _layer = AutoLayer;
        _classOption = null;
        _gridClasses.Clear();
        _overlay = null;
        _grid = null;
        await LoadModelDetailsAsync();
        await RefreshAsync();
    }

    private Task OnMethodChangedAsync(string method)
    {
        _method = method;
        return RefreshExploreAsync();
    }

    private async Task OnLayerChangedAsync(string layer)
    {
        _layer = layer;
        await LoadMethodsAsync();
        await RefreshAsync();
    }

    private Task OnClassPickedAsync(ClassOption? option)
    {
        if (option is null || option == _classOption)
            return Task.CompletedTask;
        _classOption = option;
        return RefreshExploreAsync();
    }

    private Task OnPredictionPickedAsync(int classIndex) =>
        OnClassPickedAsync(new ClassOption(classIndex, LabelOf(classIndex)));

    private Task<IEnumerable<ClassOption>> SearchClassesAsync(string? text, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> labels = _details?.Labels ?? [];
        IEnumerable<ClassOption> all = labels.Select((name, index) => new ClassOption(index, name));
        if (string.IsNullOrWhiteSpace(text))
            return Task.FromResult(all);
        string query = text.Trim();
        // Exact and prefix matches first, then any substring match.
        IEnumerable<ClassOption> matches = all
            .Where(c => c.Name.Contains(query, StringComparison.OrdinalIgnoreCase) || c.Index.ToString() == query)
            .OrderBy(c => c.Name.Equals(query, StringComparison.OrdinalIgnoreCase) ? 0 : c.Name.StartsWith(query, StringComparison.OrdinalIgnoreCase) ? 1 : 2);
        return Task.FromResult(matches);
    }

    private async Task OnOpacityChangedAsync(double opacity)
    {
        _opacity = opacity;
        await RecolourAsync();
    }

    private async Task OnColormapChangedAsync(string colormap)
    {
        _colormap = colormap;
        EnsureColorBar();
        await RecolourAsync();
    }

    private async Task OnTabChangedAsync(int tab)
    {
        _tab = tab;
        UpdatePresenterState();
        if (_tab == 1 && _grid is null)
            await RefreshGridAsync();
    }

    private async Task OnGridClassAddedAsync(ClassOption? option)
    {
        _gridClassToAdd = null;
        if (option is null)
            return;
        if (_gridClassPicker is not null)
            await _gridClassPicker.ClearAsync(); // ready for the next class
        if (_gridClasses.Any(c => c.Index == option.Index))
            return;
        if (_gridClasses.Count >= MaxGridItems)
        {
            Snackbar.Add($"The grid holds at most {MaxGridItems} classes.", Severity.Warning);
            return;
        }
        _gridClasses.Add(option);
        await RefreshGridAsync();
    }

    private async Task OnGridClassRemovedAsync(MudChip<int> chip)
    {
        _gridClasses.RemoveAll(c => c.Index == chip.Value);
        await RefreshGridAsync();
    }

    private async Task OnGridMethodsChangedAsync(IReadOnlyCollection<string>? methods)
    {
        List<string> picked = methods?.ToList() ?? [];
        if (picked.Count > MaxGridItems)
        {
            Snackbar.Add($"The grid holds at most {MaxGridItems} methods.", Severity.Warning);
            picked = picked.Take(MaxGridItems).ToList();
        }
        _gridMethods = picked;
        await RefreshGridAsync();
    }

    private async Task OnSharedScaleChangedAsync(bool shared)
    {
        _sharedScale = shared;
        await RenderGridAsync(NewToken(ref _gridCts));
    }

    // ---- computing and rendering ----

    private async Task RefreshAsync()
    {
        _grid = null;
        await RefreshExploreAsync();
        if (_tab == 1)
            await RefreshGridAsync();
    }

    private async Task RefreshExploreAsync()
    {
        if (_photo is null || _model.Length == 0 || _method.Length == 0)
            return;
        CancellationToken token = NewToken(ref _exploreCts);
        StudioPhoto photo = _photo;
        _exploreBusy = true;
        _overlayStale = _overlay is not null; // the last overlay stays in view, marked stale, until the new one is drawn
        _progress = null;
        _slowEstimate = SlowEstimate(_method);
        StateHasChanged();
        try
        {
            IReadOnlyList<int>? classes = _classOption is null ? null : [_classOption.Index];
            // Reports come from the torch thread: each is handed to the renderer's dispatcher.
            var progress = new InlineProgress(p => _ = InvokeAsync(() =>
            {
                if (token.IsCancellationRequested)
                    return;
                _progress = p;
                StateHasChanged();
            }));
            SessionExplanation result = await Session.ExplainAsync(photo, _model, _layer, [_method], classes, token, progress);
            token.ThrowIfCancellationRequested();
            _predictions = result.TopPredictions.Take(5).ToList();
            PlacedClassMap map = result.Maps[0];
            _classOption ??= new ClassOption(map.ClassIndex, map.ClassName);
            if (_gridClasses.Count == 0)
                _gridClasses.Add(_classOption);
            _error = null;
            _fieldErrors.Clear();
            await RenderOverlayAsync(photo, map, token);
            _overlayStale = false;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // A newer choice replaced this work.
        }
        catch (Exception ex)
        {
            ShowError("The map could not be computed", ex);
        }
        finally
        {
            if (!token.IsCancellationRequested)
            {
                _exploreBusy = false;
                _progress = null;
                _slowEstimate = null;
            }
        }
        StateHasChanged();
    }

    /// <summary>The Cancel button of a running explanation: the engine stops at its next chunk, the last overlay stays (stale).</summary>
    private void CancelExplore()
    {
        Cancel(ref _exploreCts);
        _exploreBusy = false;
        _progress = null;
        _slowEstimate = null;
        StateHasChanged();
    }

    /// <summary>"About N s" for a slow method: the last quick explanation's forward time × the method's passes; null for quick ones.</summary>
    private string? SlowEstimate(string methodId)
    {
        if (Engine.Methods.FirstOrDefault(m => m.Id == methodId) is not { IsSlow: true } method)
            return null;
        long channels = LayerChannels();
        long passes = channels > 0 ? method.ExtraForwards(channels) : 0;
        if (passes <= 0)
            return $"{method.DisplayName} runs many forward passes; progress follows.";
        if (Session.LastQuickTimings is not { ForwardMs: > 0 } timings)
            return $"{method.DisplayName} runs {passes} forward passes; the time is estimated once they start.";
        TimeSpan estimate = TimeSpan.FromMilliseconds(timings.ForwardMs * passes);
        return $"{method.DisplayName} runs {passes} forward passes: about {FormatDuration(estimate)} ({timings.ForwardMs:0} ms each).";
    }

    private long LayerChannels()
    {
        if (_details is null)
            return 0;
        string name = _layer == AutoLayer ? _details.DefaultLayer : _layer;
        if (name == AutoLayer)
            name = _details.AutoLayer;
        return _details.Layers.FirstOrDefault(l => l.Name == name) is { Shape.Length: 4 } layer ? layer.Shape[1] : 0;
    }

    internal static string FormatDuration(TimeSpan time) =>
        time.TotalSeconds < 1 ? "under a second" : time.TotalMinutes < 2 ? $"{time.TotalSeconds:0} s" : $"{time.TotalMinutes:0.#} min";

    private async Task RecolourAsync()
    {
        if (_photo is null)
            return;
        try
        {
            if (_overlay is not null)
                await RenderOverlayAsync(_photo, _overlay.Map, NewToken(ref _recolourCts));
            if (_grid is not null)
                await RenderGridAsync(NewToken(ref _gridCts));
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            ShowError("The overlay could not be drawn", ex);
        }
    }

    private async Task RenderOverlayAsync(StudioPhoto photo, PlacedClassMap map, CancellationToken token)
    {
        byte[] png = await Pictures.RenderOverlayPngAsync(photo, map.Map, Style(null), fullResolution: false, token);
        token.ThrowIfCancellationRequested();
        _overlay = new RenderedOverlay(map, ToDataUrl(png, "image/png"), png);
        UpdatePresenterState();
        StateHasChanged();
    }

    private async Task RefreshGridAsync()
    {
        if (_photo is null || _model.Length == 0)
            return;
        IReadOnlyList<ClassOption> classes = _gridClasses.Count > 0 ? _gridClasses.ToList() : _classOption is null ? [] : [_classOption];
        IReadOnlyList<string> methods = _gridMethods.Count > 0 ? OrderedMethods(_gridMethods) : [_method];
        if (classes.Count == 0)
            return; // the explore view has not found the top class yet; it fills the grid's first class when it does
        CancellationToken token = NewToken(ref _gridCts);
        StudioPhoto photo = _photo;
        _gridBusy = true;
        StateHasChanged();
        try
        {
            // All classes × methods in one call: one forward pass for the whole grid.
            SessionExplanation result = await Session.ExplainAsync(photo, _model, _layer, methods, classes.Select(c => c.Index).ToList(), token);
            token.ThrowIfCancellationRequested();
            var methodInfos = methods.Select(id => Engine.Methods.FirstOrDefault(m => m.Id == id) ?? new CamMethodInfo(id, id, false, _ => 0)).ToList();
            var cells = classes
                .Select(c => (IReadOnlyList<GridCell>)methods.Select(m => new GridCell(
                    result.Find(m, c.Index)?.Map ?? throw new InvalidOperationException($"The engine returned no {m} map for {c.Name}."), null, null)).ToList())
                .ToList();
            _grid = new GridView(photo, classes, methodInfos, cells, null);
            _error = null;
            _fieldErrors.Clear();
            await RenderGridAsync(token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            ShowError("The comparison could not be computed", ex);
        }
        finally
        {
            if (!token.IsCancellationRequested)
                _gridBusy = false;
        }
        StateHasChanged();
    }

    private async Task RenderGridAsync(CancellationToken token)
    {
        if (_grid is null)
            return;
        GridView grid = _grid;
        ValueRange? shared = _sharedScale ? ValueRange.Shared(grid.Cells.SelectMany(row => row).Select(c => c.Map.Map)) : null;
        var rendered = new List<IReadOnlyList<GridCell>>(grid.Cells.Count);
        foreach (IReadOnlyList<GridCell> row in grid.Cells)
        {
            var renderedRow = new List<GridCell>(row.Count);
            foreach (GridCell cell in row)
            {
                byte[] png = await Pictures.RenderOverlayPngAsync(grid.Photo, cell.Map, Style(shared), fullResolution: false, token);
                renderedRow.Add(cell with { ImageUrl = ToDataUrl(png, "image/png"), Png = png });
            }
            rendered.Add(renderedRow);
        }
        token.ThrowIfCancellationRequested();
        _grid = grid with { Cells = rendered, SharedRange = shared };
        UpdatePresenterState();
        StateHasChanged();
    }

    /// <summary>What followers of a presentation see: the current tab's overlays, as already rendered here.</summary>
    private void UpdatePresenterState()
    {
        if (_photo is null)
            return;
        float Probability(int classIndex) => _predictions.FirstOrDefault(p => p.ClassIndex == classIndex)?.Probability ?? 0f;
        string MethodName(string id) => Engine.Methods.FirstOrDefault(m => m.Id == id)?.DisplayName ?? id;
        if (_tab == 1 && _grid is { } grid && ReferenceEquals(grid.Photo, _photo) && grid.Cells.All(row => row.All(c => c.Png is not null)))
        {
            var overlays = grid.Classes.Zip(grid.Cells).SelectMany(pair => pair.Second.Zip(grid.Methods,
                (cell, method) => new PresentedOverlay(method.DisplayName, pair.First.Index, pair.First.Name, Probability(pair.First.Index), cell.Png!))).ToList();
            _presenterState = new PresenterState(_photo.FileName, null, _model, grid.Classes.Select(c => c.Name).ToList(),
                grid.Methods.Select(m => m.DisplayName).ToList(), _layer, _colormap, (float)_opacity, grid.SharedRange is not null, overlays);
        }
        else if (_overlay is { } shown)
        {
            _presenterState = new PresenterState(_photo.FileName, null, _model, [shown.Map.ClassName], [MethodName(shown.Map.Method)], shown.Map.Layer,
                _colormap, (float)_opacity, false,
                [new PresentedOverlay(MethodName(shown.Map.Method), shown.Map.ClassIndex, shown.Map.ClassName, Probability(shown.Map.ClassIndex), shown.Png)]);
        }
    }

    // ---- downloads ----

    private async Task DownloadOverlayAsync()
    {
        if (_photo is null || _overlay is null)
            return;
        await DownloadAsync($"{Stem(_photo)}-{_overlay.Map.Method}-{Slug(_overlay.Map.ClassName)}.png", "image/png",
            () => Pictures.RenderOverlayPngAsync(_photo, _overlay.Map.Map, Style(null), fullResolution: true, _lifetime.Token));
    }

    /// <summary>The map after the one .npy contract (<see cref="MapFiles"/>): normalised at the model input's size.</summary>
    private async Task DownloadNpyAsync()
    {
        if (_photo is null || _overlay is null)
            return;
        PlacedClassMap map = _overlay.Map;
        await DownloadAsync(MapFiles.NormalisedName(Stem(_photo), map.Method, map.ClassIndex), "application/octet-stream",
            () => Task.FromResult(MapFiles.NormalisedNpy(map.Map)));
    }

    /// <summary>The raw map at the layer's size (<c>.raw.npy</c>).</summary>
    private async Task DownloadRawNpyAsync()
    {
        if (_photo is null || _overlay is null)
            return;
        PlacedClassMap map = _overlay.Map;
        await DownloadAsync(MapFiles.RawName(Stem(_photo), map.Method, map.ClassIndex), "application/octet-stream",
            () => Task.FromResult(MapFiles.RawNpy(map.Map)));
    }

    private async Task DownloadSheetAsync()
    {
        if (_grid is null)
            return;
        GridView grid = _grid;
        var layout = new ComparisonLayout(
            grid.Classes.Select(c => c.Name).ToList(),
            grid.Methods.Select(m => m.DisplayName).ToList(),
            grid.Cells.Select(row => (IReadOnlyList<PlacedMap>)row.Select(c => c.Map).ToList()).ToList());
        await DownloadAsync($"{Stem(grid.Photo)}-comparison.png", "image/png",
            () => Pictures.RenderSheetPngAsync(grid.Photo, layout, Style(grid.SharedRange), _lifetime.Token));
    }

    private async Task DownloadAsync(string fileName, string contentType, Func<Task<byte[]>> produce)
    {
        try
        {
            byte[] bytes = await produce();
            using var stream = new MemoryStream(bytes);
            using var reference = new DotNetStreamReference(stream);
            await JS.InvokeVoidAsync("camStudio.download", fileName, contentType, reference);
        }
        catch (JSDisconnectedException)
        {
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ShowError($"{fileName} could not be produced", ex);
        }
    }

    // ---- helpers ----

    private OverlayStyle Style(ValueRange? range) => new(_colormap, (float)_opacity, range);

    private void EnsureColorBar()
    {
        if (_colormap.Length == 0 || _colorBarUrls.ContainsKey(_colormap))
            return;
        try
        {
            _colorBarUrls[_colormap] = ToDataUrl(Pictures.RenderColorBarPng(_colormap), "image/png");
        }
        catch (Exception ex)
        {
            Logger.LogWarning(ex, "No colour bar for {Colormap}", _colormap);
        }
    }

    private IReadOnlyList<string> OrderedMethods(IEnumerable<string> picked)
    {
        var set = picked.ToHashSet();
        return Engine.Methods.Select(m => m.Id).Where(set.Contains).Concat(set.Where(id => Engine.Methods.All(m => m.Id != id))).ToList();
    }

    private string LabelOf(int classIndex) =>
        _details is { } d && classIndex >= 0 && classIndex < d.Labels.Count ? d.Labels[classIndex]
        : _predictions.FirstOrDefault(p => p.ClassIndex == classIndex)?.ClassName ?? $"class {classIndex}";

    private string OverlayCaption(PlacedClassMap map) =>
        $"{Engine.Methods.FirstOrDefault(m => m.Id == map.Method)?.DisplayName ?? map.Method} · {map.ClassName} · layer {map.Layer} ({map.Map.Map.Width}×{map.Map.Map.Height})";

    /// <summary>Why a method does not apply to the model at the chosen layer (the engine's reason), or null when it does or is not known yet.</summary>
    private string? WhyNot(string methodId) => _availability.FirstOrDefault(m => m.Id == methodId) is { IsAvailable: false } m ? m.Reason ?? "Not applicable here." : null;

    /// <summary>The error beside a control (model, method, layer or class picker), or null.</summary>
    private string? FieldError(string field) => _fieldErrors.GetValueOrDefault(field);

    private void ShowError(string what, Exception ex)
    {
        if (ex is CamRequestException refused)
        {
            // The engine names the request's field at fault: its message goes beside that control.
            Logger.LogInformation("{What}: {Kind} on {Field}: {Message}", what, refused.Kind, refused.Field, refused.Message);
            switch (refused.Field)
            {
                case CamRequestFields.Model or CamRequestFields.Methods or CamRequestFields.Layer or CamRequestFields.Classes:
                    _fieldErrors[refused.Field] = refused.Message;
                    return;
                default:
                    _error = $"{what}: {refused.Message}";
                    break;
            }
        }
        else if (ex is StudioInputException or PhotoDecodeException)
        {
            Logger.LogInformation("{What}: {Message}", what, ex.Message);
            _error = $"{what}: {ex.Message}";
        }
        else
        {
            // An engine failure stays in the page (and the log); the circuit lives on.
            Logger.LogError(ex, "{What}", what);
            _error = $"{what}: {ex.Message}";
        }
        Snackbar.Add(_error, Severity.Error);
    }

    private CancellationToken NewToken(ref CancellationTokenSource? source)
    {
        Cancel(ref source);
        source = CancellationTokenSource.CreateLinkedTokenSource(_lifetime.Token);
        return source.Token;
    }

    private static void Cancel(ref CancellationTokenSource? source)
    {
        if (source is null)
            return;
        source.Cancel();
        source.Dispose();
        source = null;
    }

    private static string ToDataUrl(byte[] bytes, string contentType) => $"data:{contentType};base64,{Convert.ToBase64String(bytes)}";

    private static string Stem(StudioPhoto photo) => Path.GetFileNameWithoutExtension(photo.FileName);

    private static string Slug(string text) =>
        string.Concat(text.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')).Trim('-');

    internal static string FormatBytes(long bytes) =>
        bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.#} MB" : bytes >= 1 << 10 ? $"{bytes / 1024.0:0.#} KB" : $"{bytes} bytes";

    internal static string FormatPixels(long pixels) => $"{pixels / 1e6:0.#} megapixels";

    public void Dispose()
    {
        _lifetime.Cancel();
        Cancel(ref _exploreCts);
        Cancel(ref _recolourCts);
        Cancel(ref _gridCts);
        _lifetime.Dispose();
    }

    internal sealed record ClassOption(int Index, string Name)
    {
        public override string ToString() => Name;
    }

    private sealed record RenderedOverlay(PlacedClassMap Map, string ImageUrl, byte[] Png);

    private sealed record GridCell(PlacedMap Map, string? ImageUrl, byte[]? Png);

    /// <summary>An <see cref="IProgress{T}"/> that calls its handler where the report is made (no captured context).</summary>
    private sealed class InlineProgress(Action<ExplainProgress> handler) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => handler(value);
    }

    private sealed record GridView(
        StudioPhoto Photo, IReadOnlyList<ClassOption> Classes, IReadOnlyList<CamMethodInfo> Methods,
        IReadOnlyList<IReadOnlyList<GridCell>> Cells, ValueRange? SharedRange);
}
