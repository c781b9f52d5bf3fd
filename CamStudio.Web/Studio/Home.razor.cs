using CamStudio.Web.Presenter;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using MudBlazor;

namespace CamStudio.Web.Studio;

/// <summary>
/// The studio page: holds the shared <see cref="StudioState"/> and the two views (<see cref="ExploreView"/>,
/// <see cref="ComparisonGrid"/>), and wires the panels to them. A choice that changes the request refreshes both views;
/// opacity and colormap only re-colour (the session caches the maps). Every choice is written to the URL
/// (<see cref="StudioLink"/>): back/forward, a reload and a shared link bring the explorer back as it was.
/// </summary>
public sealed partial class Home : IDisposable
{
    internal const string AutoLayer = "auto";
    internal const int MaxGridItems = 4;

    private ModelFolder _folder = new("", [], null);
    private StudioState _state = null!;
    private ExploreView _explore = null!;
    private ComparisonGrid _grid = null!;
    private TrustView _trust = null!;
    private PresenterState? _presenterState;
    private bool _modelLoading;
    private bool _interactive;
    private bool _applyingLink;
    private string? _syncedQuery;
    private readonly CancellationTokenSource _lifetime = new();

    [Inject] private IStudioEngine Engine { get; set; } = null!;

    [Inject] private StudioPictures Pictures { get; set; } = null!;

    [Inject] private StudioSession Session { get; set; } = null!;

    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Inject] private ILogger<Home> Logger { get; set; } = null!;

    [Inject] private IServiceProvider Services { get; set; } = null!;

    [Inject] private NavigationManager Navigation { get; set; } = null!;

    /// <summary>A batch job's photo to open (<c>/?job=ID&amp;photo=N</c>, linked from the job's results page).</summary>
    [SupplyParameterFromQuery(Name = "job")]
    public string? JobId { get; set; }

    [SupplyParameterFromQuery(Name = "photo")]
    public int? JobPhoto { get; set; }

    protected override void OnInitialized()
    {
        _state = new StudioState(Engine.Methods, Logger, Snackbar);
        _grid = new ComparisonGrid(_state, Session, Pictures, StateHasChanged) { Rendered = UpdatePresenterState };
        _explore = new ExploreView(_state, Session, Pictures, InvokeAsync, StateHasChanged) { ClassFound = _grid.Seed, Rendered = UpdatePresenterState };
        _trust = new TrustView(_state, Session, Engine, InvokeAsync, StateHasChanged);
        _folder = ModelFolder.Of(Engine);
        _state.Model = _folder.DefaultModel ?? _folder.Models.FirstOrDefault()?.Name ?? "";
        _state.Method = DefaultMethod;
        _grid.Methods = _state.Method.Length > 0 ? [_state.Method] : [];
        _state.Colormap = Pictures.Colormaps.FirstOrDefault() ?? "jet";
        EnsureColorBar();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
            return;
        // The interactivity marker: end-to-end tests wait for it before clicking.
        _interactive = true;
        StateHasChanged();
        Navigation.LocationChanged += OnLocationChanged;
        try
        {
            await Session.RestoreAsync(_lifetime.Token); // a reload or a new tab: the browser session's photos come back
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (JobId is not null && JobPhoto is not null)
        {
            if (_state.Model.Length > 0)
                await LoadModelDetailsAsync();
            await OpenJobPhotoAsync(JobId, JobPhoto.Value);
            return;
        }
        // The plain studio URL (the menu's "Studio") comes back to where this tab left the explorer.
        string query = QueryOf(Navigation.Uri);
        if (query.Length == 0 && Session.LastQuery is { Length: > 0 } last)
            query = last;
        await ApplyLinkAsync(StudioLink.Parse(query));
    }

    // ---- the URL ----

    private static string QueryOf(string uri) => new Uri(uri).Query;

    /// <summary>The explorer's state as a link; the class only when it is not the photo's top-1 (which a link finds itself).</summary>
    private StudioLink CurrentLink() => new(
        _state.Photo?.Id,
        _state.Model.Length > 0 && _state.Model != (_folder.DefaultModel ?? _folder.Models.FirstOrDefault()?.Name) ? _state.Model : null,
        _state.Method != DefaultMethod ? _state.Method : null,
        _state.Layer != AutoLayer ? _state.Layer : null,
        _state.ClassOption is { } c && _state.Predictions.FirstOrDefault()?.ClassIndex != c.Index ? c.Index : null,
        _state.Colormap != Pictures.Colormaps.FirstOrDefault() ? _state.Colormap : null,
        Math.Abs(_state.Opacity - 0.5) > 1e-9 ? _state.Opacity : null,
        _state.Tab,
        _grid.Classes.Select(option => option.Index).ToList(),
        _grid.Methods.Count == 1 && _grid.Methods.First() == _state.Method ? [] : _grid.Methods.ToList(),
        _grid.SharedScale,
        _state.Features.FusedLayers,
        _state.Features.FusedLayers.Count > 0 && _state.Features.Fuse != StudioFeatures.Fusions[0] ? _state.Features.Fuse : null,
        _state.Features.AugSmooth,
        _state.Features.EigenSmooth,
        _state.Features.Guided,
        _state.ConceptCount != StudioState.DefaultConceptCount ? _state.ConceptCount : null);

    /// <summary>Writes the state to the URL: a new history entry per choice (back undoes it), replaced for a slider's drag.</summary>
    private void SyncUrl(bool replace = false)
    {
        if (_applyingLink || !_interactive)
            return;
        string query = CurrentLink().ToQuery();
        Session.LastQuery = query;
        _syncedQuery = query;
        if (query == QueryOf(Navigation.Uri))
            return;
        try
        {
            Navigation.NavigateTo("/" + query, new NavigationOptions { ReplaceHistoryEntry = replace });
        }
        catch (NavigationException)
        {
            // Prerendering cannot navigate; the interactive render writes the URL.
        }
    }

    private void OnLocationChanged(object? sender, LocationChangedEventArgs e)
    {
        // Back/forward (or a link within the app) to another explorer state: show it.
        var uri = new Uri(e.Location);
        if (uri.AbsolutePath != "/" || uri.Query == _syncedQuery || JobId is not null)
            return;
        _ = InvokeAsync(async () =>
        {
            await ApplyLinkAsync(StudioLink.Parse(uri.Query));
            StateHasChanged();
        });
    }

    /// <summary>Shows what a link describes; each value is checked against what the engine offers, the rest stays default.</summary>
    private async Task ApplyLinkAsync(StudioLink link)
    {
        _syncedQuery = link.ToQuery();
        _applyingLink = true;
        try
        {
            string defaultModel = _folder.DefaultModel ?? _folder.Models.FirstOrDefault()?.Name ?? "";
            string model = link.Model is { } m && _folder.Models.Any(x => x.Name == m) ? m : defaultModel;
            string layer = link.Layer ?? AutoLayer;
            bool reload = model != _state.Model || _state.Details is null;
            bool layerChanged = layer != _state.Layer;
            _state.Model = model;
            _state.Layer = layer;
            _state.Method = link.Method is { } id && Engine.Methods.Any(x => x.Id == id) ? id : DefaultMethod;
            _state.Colormap = link.Colormap is { } cm && Pictures.Colormaps.Contains(cm) ? cm : Pictures.Colormaps.FirstOrDefault() ?? "jet";
            EnsureColorBar();
            _state.Opacity = link.Opacity ?? 0.5;
            _state.Tab = link.Tab;
            _grid.SharedScale = link.SharedScale;
            _state.Features = link.Features();
            _state.ConceptCount = link.Concepts ?? StudioState.DefaultConceptCount;
            List<string> gridMethods = (link.GridMethods ?? Array.Empty<string>()).Where(gm => Engine.Methods.Any(x => x.Id == gm)).Take(MaxGridItems).ToList();
            _grid.Methods = gridMethods.Count > 0 ? gridMethods : [_state.Method];
            if (_state.Model.Length > 0 && reload)
                await LoadModelDetailsAsync();
            else if (layerChanged)
                await LoadMethodsAsync();
            int labels = _state.Details?.Labels.Count ?? 0;
            _state.Features = _state.Features with { FusedLayers = _state.Features.FusedLayers.Where(l => _state.Details?.Layers.Any(x => x.Name == l) == true).ToList() };
            _state.ClassOption = link.Class is { } c && c < labels ? new ClassOption(c, _state.LabelOf(c)) : null;
            _grid.Classes.Clear();
            foreach (int gridClass in (link.GridClasses ?? Array.Empty<int>()).Where(gc => gc < labels).Take(MaxGridItems))
                _grid.Classes.Add(new ClassOption(gridClass, _state.LabelOf(gridClass)));

            StudioPhoto? photo = link.Photo is { } pid ? Session.Photos.FirstOrDefault(p => p.Id == pid) : null;
            if (link.Photo is not null && photo is null)
                Snackbar.Add("The photo of this link is not in this browser session (a link carries the settings; the photo stays with whoever uploaded it).", Severity.Info);
            // Photos in the strip but none named: show the latest rather than "Upload a photo".
            photo ??= Session.Photos.LastOrDefault();
            _explore.Stop();
            _grid.Stop();
            _trust.Stop();
            _state.Photo = photo;
            _state.Predictions = [];
            _explore.Overlay = null;
            _grid.View = null;
        }
        finally
        {
            _applyingLink = false;
        }
        StateHasChanged();
        await RefreshAsync();
        SyncUrl(replace: true);
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
            _state.ShowError($"Photo {index} of job {jobId} could not be opened", ex);
            StateHasChanged();
        }
    }

    /// <summary>Grad-CAM works on any layer of any model, so it is the first map a visitor sees.</summary>
    private string DefaultMethod => Engine.Methods.FirstOrDefault(m => m.Id == "gradcam")?.Id ?? Engine.Methods.FirstOrDefault()?.Id ?? "";

    private Task LoadMethodsAsync() => _state.LoadMethodsAsync(Engine, _lifetime.Token);

    private async Task LoadModelDetailsAsync()
    {
        _modelLoading = true;
        _state.Details = null;
        StateHasChanged();
        try
        {
            await _state.LoadModelAsync(Engine, _lifetime.Token);
        }
        finally
        {
            _modelLoading = false;
        }
        StateHasChanged();
    }

    // ---- photos ----

    private async Task SelectPhotoAsync(StudioPhoto photo)
    {
        if (ReferenceEquals(photo, _state.Photo))
            return;
        _state.Photo = photo;
        _trust.ClearBox(); // a box marks an object on one photo
        _state.ClassOption = null; // each photo starts on its own top-1 class
        _state.Predictions = [];
        _explore.Overlay = null;
        _grid.View = null;
        SyncUrl();
        await RefreshAsync();
    }

    private async Task RemovePhotoAsync(StudioPhoto photo)
    {
        bool wasCurrent = ReferenceEquals(photo, _state.Photo);
        if (wasCurrent)
        {
            _explore.Stop();
            _grid.Stop();
            _trust.Stop();
            _state.Photo = null;
            _explore.Overlay = null;
            _grid.View = null;
            _state.Predictions = [];
        }
        Session.RemovePhoto(photo);
        if (wasCurrent && Session.Photos.Count > 0)
            await SelectPhotoAsync(Session.Photos[0]);
        else
            SyncUrl(replace: true);
    }

    // ---- pickers ----

    private async Task OnModelChangedAsync(string model)
    {
        if (model == _state.Model)
            return;
        _state.Model = model;
        _state.Layer = AutoLayer;
        _state.Features = _state.Features with { FusedLayers = [] }; // another model's layers
        _state.ClassOption = null;
        _grid.Classes.Clear();
        _explore.Overlay = null;
        _grid.View = null;
        SyncUrl();
        await LoadModelDetailsAsync();
        await RefreshAsync();
    }

    private Task OnMethodChangedAsync(string method)
    {
        _state.Method = method;
        SyncUrl();
        return _explore.RefreshAsync(_lifetime.Token);
    }

    private Task OnOptionsChangedAsync() => RefreshAsync();

    private Task OnFeaturesChangedAsync()
    {
        SyncUrl();
        return RefreshAsync();
    }

    private async Task OnLayerChangedAsync(string layer)
    {
        _state.Layer = layer;
        _state.Features = _state.Features with { FusedLayers = _state.Features.FusedLayers.Where(l => l != layer).ToList() };
        SyncUrl();
        await LoadMethodsAsync();
        await RefreshAsync();
    }

    /// <summary>The Trust tab's "use it": the explorer switches to the ranked method and layer.</summary>
    private async Task OnRecommendationAppliedAsync(CamStudio.Engine.Recommendation recommendation)
    {
        _state.Method = recommendation.Method;
        _state.Layer = recommendation.Layer;
        SyncUrl();
        await LoadMethodsAsync();
        await RefreshAsync();
    }

    private Task OnClassPickedAsync(ClassOption? option)
    {
        if (option is null || option == _state.ClassOption)
            return Task.CompletedTask;
        _state.ClassOption = option;
        SyncUrl();
        return _explore.RefreshAsync(_lifetime.Token);
    }

    private Task OnPredictionPickedAsync(int classIndex) =>
        OnClassPickedAsync(new ClassOption(classIndex, _state.LabelOf(classIndex)));

    private async Task OnOpacityChangedAsync(double opacity)
    {
        _state.Opacity = opacity;
        SyncUrl(replace: true);
        await RecolourAsync();
    }

    private async Task OnColormapChangedAsync(string colormap)
    {
        _state.Colormap = colormap;
        SyncUrl();
        EnsureColorBar();
        await RecolourAsync();
    }

    private async Task OnTabChangedAsync(int tab)
    {
        _state.Tab = tab;
        SyncUrl();
        UpdatePresenterState();
        if (_state.Tab == 1 && _grid.View is null)
            await _grid.RefreshAsync(_lifetime.Token);
    }

    // ---- views ----

    private async Task RefreshAsync()
    {
        _grid.View = null;
        await _explore.RefreshAsync(_lifetime.Token);
        if (_state.Tab == 1)
            await _grid.RefreshAsync(_lifetime.Token);
    }

    private async Task RecolourAsync()
    {
        if (_state.Photo is null)
            return;
        try
        {
            await _explore.RecolourAsync(_lifetime.Token);
            if (_grid.View is not null)
                await _grid.RecolourAsync(_lifetime.Token);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            _state.ShowError("The overlay could not be drawn", ex);
        }
    }

    /// <summary>With nothing shown yet (no photo, no map), followers keep the last state published.</summary>
    private void UpdatePresenterState() => _presenterState = StudioPresentation.Of(_state, _explore, _grid) ?? _presenterState;

    private void EnsureColorBar()
    {
        string colormap = _state.Colormap;
        if (colormap.Length == 0 || _state.ColorBarUrls.ContainsKey(colormap))
            return;
        try
        {
            byte[] png = Pictures.RenderColorBarPng(colormap);
            _state.ColorBarPngs[colormap] = png;
            _state.ColorBarUrls[colormap] = BrowserDownload.DataUrl(png, "image/png");
        }
        catch (Exception ex)
        {
            Logger.LogWarning(ex, "No colour bar for {Colormap}", colormap);
        }
    }

    public void Dispose()
    {
        Navigation.LocationChanged -= OnLocationChanged;
        _lifetime.Cancel();
        _explore?.Stop();
        _grid?.Stop();
        _trust?.Stop();
        _lifetime.Dispose();
    }

    public sealed record ClassOption(int Index, string Name)
    {
        public override string ToString() => Name;
    }
}
