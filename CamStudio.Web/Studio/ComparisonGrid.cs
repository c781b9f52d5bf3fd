using CamStudio.Engine.Maps;

namespace CamStudio.Web.Studio;

/// <summary>
/// The side-by-side view's work and what it shows: classes × methods of the current photo, on their own scales or one
/// shared scale per method (a method's raw values compare across classes, not with another method's: <see cref="MethodScales"/>). Like <see cref="ExploreView"/> it lives with the page, not with its tab.
/// </summary>
public sealed class ComparisonGrid(StudioState state, StudioSession session, StudioPictures pictures, Action changed)
{
    private CancellationTokenSource? _cts;

    public List<Home.ClassOption> Classes { get; } = [];

    public IReadOnlyCollection<string> Methods { get; set; } = [];

    public bool SharedScale { get; set; }

    public bool Busy { get; private set; }

    public GridView? View { get; set; }

    /// <summary>The metric shown under each map and the columns' order by it (the grid panel asks the engine).</summary>
    public GridMetrics Metrics { get; } = new();

    /// <summary>Raised after the grid's overlays are drawn.</summary>
    public Action? Rendered { get; set; }

    /// <summary>The explorer's class starts the grid when no class is picked yet.</summary>
    public void Seed(Home.ClassOption option)
    {
        if (Classes.Count == 0)
            Classes.Add(option);
    }

    public void Stop()
    {
        Cancellations.Cancel(ref _cts);
        Metrics.Stop();
    }

    public async Task RefreshAsync(CancellationToken lifetime)
    {
        if (state.Photo is null || state.Model.Length == 0)
            return;
        IReadOnlyList<Home.ClassOption> classes = Classes.Count > 0 ? Classes.ToList() : state.ClassOption is null ? [] : [state.ClassOption];
        IReadOnlyList<string> methods = Methods.Count > 0 ? OrderedMethods(Methods) : [state.Method];
        if (classes.Count == 0)
            return; // the explore view has not found the top class yet; it fills the grid's first class when it does
        CancellationToken token = Cancellations.Renew(ref _cts, lifetime);
        StudioPhoto photo = state.Photo;
        Busy = true;
        changed();
        try
        {
            // All classes × methods in one call: one forward pass for the whole grid.
            SessionExplanation result = await session.ExplainAsync(photo, state.Model, state.Layer, methods, classes.Select(c => c.Index).ToList(), token,
                options: state.MethodOptions, features: state.FeaturesFor(methods, guided: false));
            token.ThrowIfCancellationRequested();
            var methodInfos = methods.Select(id => state.Methods.FirstOrDefault(m => m.Id == id) ?? new CamMethodInfo(id, id, false, _ => 0)).ToList();
            var cells = classes
                .Select(c => (IReadOnlyList<GridCell>)methods.Select(m => new GridCell(
                    result.Find(m, c.Index)?.Map ?? throw new InvalidOperationException($"The engine returned no {m} map for {c.Name}."), null, null)).ToList())
                .ToList();
            View = new GridView(photo, classes, methodInfos, cells, null);
            state.ClearErrors();
            await RenderAsync(token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            state.ShowError("The comparison could not be computed", ex);
        }
        finally
        {
            if (!token.IsCancellationRequested)
                Busy = false;
        }
        changed();
    }

    /// <summary>Draws the grid again in the current colours and scale, cancelling a stale grid's work.</summary>
    public Task RecolourAsync(CancellationToken lifetime) => RenderAsync(Cancellations.Renew(ref _cts, lifetime));

    private async Task RenderAsync(CancellationToken token)
    {
        if (View is null)
            return;
        GridView grid = View;
        IReadOnlyList<ValueRange>? columnRanges = null;
        if (SharedScale)
        {
            IReadOnlyDictionary<int, ValueRange> byColumn = MethodScales.Of(grid.Cells.SelectMany(row => row.Select((cell, column) => (column, cell.Map.Map))));
            columnRanges = Enumerable.Range(0, grid.Methods.Count).Select(c => byColumn[c]).ToList();
        }
        var rendered = new List<IReadOnlyList<GridCell>>(grid.Cells.Count);
        foreach (IReadOnlyList<GridCell> row in grid.Cells)
        {
            var renderedRow = new List<GridCell>(row.Count);
            foreach ((GridCell cell, int column) in row.Select((c, i) => (c, i)))
            {
                byte[] png = await pictures.RenderOverlayPngAsync(grid.Photo, cell.Map, state.Style(columnRanges?[column]), fullResolution: false, token);
                renderedRow.Add(cell with { ImageUrl = BrowserDownload.DataUrl(png, "image/png"), Png = png });
            }
            rendered.Add(renderedRow);
        }
        token.ThrowIfCancellationRequested();
        View = grid with { Cells = rendered, ColumnRanges = columnRanges };
        Rendered?.Invoke();
        changed();
    }

    private IReadOnlyList<string> OrderedMethods(IEnumerable<string> picked)
    {
        var set = picked.ToHashSet();
        return state.Methods.Select(m => m.Id).Where(set.Contains).Concat(set.Where(id => state.Methods.All(m => m.Id != id))).ToList();
    }
}

public sealed record GridCell(PlacedMap Map, string? ImageUrl, byte[]? Png);

public sealed record GridView(
    StudioPhoto Photo, IReadOnlyList<Home.ClassOption> Classes, IReadOnlyList<CamMethodInfo> Methods,
    IReadOnlyList<IReadOnlyList<GridCell>> Cells, IReadOnlyList<ValueRange>? ColumnRanges)
{
    /// <summary>The range a column (method) is coloured on: its shared range, or null when each map has its own.</summary>
    public ValueRange? ColumnRange(int column) => ColumnRanges?[column];
}
