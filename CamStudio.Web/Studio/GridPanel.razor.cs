using CamStudio.Engine.Maps;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace CamStudio.Web.Studio;

/// <summary>Shows the <see cref="ComparisonGrid"/>, edits its classes, methods and scale, and hands its sheet to the browser.</summary>
public sealed partial class GridPanel : IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private Home.ClassOption? _classToAdd;
    private MudAutocomplete<Home.ClassOption>? _classPicker;

    [Inject] private StudioPictures Pictures { get; set; } = null!;

    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Inject] private IJSRuntime JS { get; set; } = null!;

    [Inject] private IStudioEngine Engine { get; set; } = null!;

    [Inject] private StudioSession Session { get; set; } = null!;

    [Parameter, EditorRequired] public StudioState State { get; set; } = null!;

    [Parameter, EditorRequired] public ComparisonGrid Grid { get; set; } = null!;

    /// <summary>Raised when the grid's classes, methods or scale change (the page writes them to the URL).</summary>
    [Parameter] public EventCallback Changed { get; set; }

    /// <summary>The page's lifetime: the grid's work outlives this tab.</summary>
    [Parameter] public CancellationToken Lifetime { get; set; }

    /// <summary>A chosen metric follows the grid: each new set of maps is scored once.</summary>
    protected override Task OnParametersSetAsync() => Grid.Metrics.EnsureCurrentAsync(Engine, Session, State, Grid.View, StateHasChanged, Lifetime);

    private Task OnMetricChangedAsync(string? metric)
    {
        Grid.Metrics.Metric = string.IsNullOrEmpty(metric) ? null : metric;
        if (Grid.Metrics.Metric is null)
            Grid.Metrics.SortByMetric = false;
        return Grid.Metrics.EnsureCurrentAsync(Engine, Session, State, Grid.View, StateHasChanged, Lifetime);
    }

    private void OnSortChanged(bool sort) => Grid.Metrics.SortByMetric = sort;

    private Task<IEnumerable<Home.ClassOption>> SearchClassesAsync(string? text, CancellationToken cancellationToken) =>
        Task.FromResult(ClassSearch.Find(State.Details?.Labels ?? [], text, State.Predictions.Select(p => p.ClassIndex).ToList()));

    private async Task OnClassAddedAsync(Home.ClassOption? option)
    {
        _classToAdd = null;
        if (option is null)
            return;
        if (_classPicker is not null)
            await _classPicker.ClearAsync(); // ready for the next class
        if (Grid.Classes.Any(c => c.Index == option.Index))
            return;
        if (Grid.Classes.Count >= Home.MaxGridItems)
        {
            Snackbar.Add($"The grid holds at most {Home.MaxGridItems} classes.", Severity.Warning);
            return;
        }
        Grid.Classes.Add(option);
        await Changed.InvokeAsync();
        await Grid.RefreshAsync(Lifetime);
    }

    private async Task OnClassRemovedAsync(int classIndex)
    {
        Grid.Classes.RemoveAll(c => c.Index == classIndex);
        await Changed.InvokeAsync();
        await Grid.RefreshAsync(Lifetime);
    }

    private async Task OnMethodsChangedAsync(IReadOnlyCollection<string>? methods)
    {
        List<string> picked = methods?.ToList() ?? [];
        if (picked.Count > Home.MaxGridItems)
        {
            Snackbar.Add($"The grid holds at most {Home.MaxGridItems} methods.", Severity.Warning);
            picked = picked.Take(Home.MaxGridItems).ToList();
        }
        Grid.Methods = picked;
        await Changed.InvokeAsync();
        await Grid.RefreshAsync(Lifetime);
    }

    private async Task OnSharedScaleChangedAsync(bool shared)
    {
        Grid.SharedScale = shared;
        await Changed.InvokeAsync();
        await Grid.RecolourAsync(Lifetime);
    }

    private async Task DownloadSheetAsync()
    {
        if (Grid.View is not { } grid)
            return;
        var layout = new ComparisonLayout(
            grid.Classes.Select(c => c.Name).ToList(),
            grid.Methods.Select(m => m.DisplayName).ToList(),
            grid.Cells.Select(row => (IReadOnlyList<PlacedMap>)row.Select(c => c.Map).ToList()).ToList());
        await BrowserDownload.SendAsync(JS, State, $"{BrowserDownload.Stem(grid.Photo)}-comparison.png", "image/png",
            () => Pictures.RenderSheetPngAsync(grid.Photo, layout, State.Style(null), grid.ColumnRanges is not null, _lifetime.Token));
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }
}
