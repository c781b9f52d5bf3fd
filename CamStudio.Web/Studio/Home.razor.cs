using CamStudio.Web.Presenter;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CamStudio.Web.Studio;

/// <summary>
/// The studio page: holds the shared <see cref="StudioState"/> and the two views (<see cref="ExploreView"/>,
/// <see cref="ComparisonGrid"/>), and wires the panels to them. A choice that changes the request refreshes both views;
/// opacity and colormap only re-colour (the session caches the maps).
/// </summary>
public sealed partial class Home : IDisposable
{
    internal const string AutoLayer = "auto";
    internal const int MaxGridItems = 4;

    private ModelFolder _folder = new("", [], null);
    private StudioState _state = null!;
    private ExploreView _explore = null!;
    private ComparisonGrid _grid = null!;
    private PresenterState? _presenterState;
    private bool _modelLoading;
    private bool _interactive;
    private readonly CancellationTokenSource _lifetime = new();

    [Inject] private IStudioEngine Engine { get; set; } = null!;

    [Inject] private StudioPictures Pictures { get; set; } = null!;

    [Inject] private StudioSession Session { get; set; } = null!;

    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Inject] private ILogger<Home> Logger { get; set; } = null!;

    [Inject] private IServiceProvider Services { get; set; } = null!;

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
        _folder = ModelFolder.Of(Engine);
        _state.Model = _folder.DefaultModel ?? _folder.Models.FirstOrDefault()?.Name ?? "";
        // Grad-CAM works on any layer of any model, so it is the first map a visitor sees.
        _state.Method = Engine.Methods.FirstOrDefault(m => m.Id == "gradcam")?.Id ?? Engine.Methods.FirstOrDefault()?.Id ?? "";
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
        if (_state.Model.Length > 0)
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
            _state.ShowError($"Photo {index} of job {jobId} could not be opened", ex);
            StateHasChanged();
        }
    }

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
        _state.ClassOption = null; // each photo starts on its own top-1 class
        _state.Predictions = [];
        _explore.Overlay = null;
        _grid.View = null;
        await RefreshAsync();
    }

    private async Task RemovePhotoAsync(StudioPhoto photo)
    {
        bool wasCurrent = ReferenceEquals(photo, _state.Photo);
        if (wasCurrent)
        {
            _explore.Stop();
            _grid.Stop();
            _state.Photo = null;
            _explore.Overlay = null;
            _grid.View = null;
            _state.Predictions = [];
        }
        Session.RemovePhoto(photo);
        if (wasCurrent && Session.Photos.Count > 0)
            await SelectPhotoAsync(Session.Photos[0]);
    }

    // ---- pickers ----

    private async Task OnModelChangedAsync(string model)
    {
        if (model == _state.Model)
            return;
        _state.Model = model;
        _state.Layer = AutoLayer;
        _state.ClassOption = null;
        _grid.Classes.Clear();
        _explore.Overlay = null;
        _grid.View = null;
        await LoadModelDetailsAsync();
        await RefreshAsync();
    }

    private Task OnMethodChangedAsync(string method)
    {
        _state.Method = method;
        return _explore.RefreshAsync(_lifetime.Token);
    }

    private Task OnOptionsChangedAsync() => RefreshAsync();

    private async Task OnLayerChangedAsync(string layer)
    {
        _state.Layer = layer;
        await LoadMethodsAsync();
        await RefreshAsync();
    }

    private Task OnClassPickedAsync(ClassOption? option)
    {
        if (option is null || option == _state.ClassOption)
            return Task.CompletedTask;
        _state.ClassOption = option;
        return _explore.RefreshAsync(_lifetime.Token);
    }

    private Task OnPredictionPickedAsync(int classIndex) =>
        OnClassPickedAsync(new ClassOption(classIndex, _state.LabelOf(classIndex)));

    private async Task OnOpacityChangedAsync(double opacity)
    {
        _state.Opacity = opacity;
        await RecolourAsync();
    }

    private async Task OnColormapChangedAsync(string colormap)
    {
        _state.Colormap = colormap;
        EnsureColorBar();
        await RecolourAsync();
    }

    private async Task OnTabChangedAsync(int tab)
    {
        _state.Tab = tab;
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
            _state.ColorBarUrls[colormap] = BrowserDownload.DataUrl(Pictures.RenderColorBarPng(colormap), "image/png");
        }
        catch (Exception ex)
        {
            Logger.LogWarning(ex, "No colour bar for {Colormap}", colormap);
        }
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _explore?.Stop();
        _grid?.Stop();
        _lifetime.Dispose();
    }

    public sealed record ClassOption(int Index, string Name)
    {
        public override string ToString() => Name;
    }
}
