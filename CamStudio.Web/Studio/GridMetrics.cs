using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Runtime;

namespace CamStudio.Web.Studio;

/// <summary>
/// The side-by-side grid's optional metric: one faithfulness number under each map (the engine scores all the grid's
/// classes × methods in one <see cref="CamEngine.EvaluateAsync"/> call), and the methods' columns sorted by it,
/// best first, by the engine's per-method mean over the grid's classes.
/// </summary>
public sealed class GridMetrics
{
    /// <summary>The metrics the grid offers (the cheap ones: one call scores every cell).</summary>
    public static IReadOnlyList<TrustRow> Offered { get; } =
        TrustRow.All.Where(r => r.Id is "deletion" or "insertion" or "drop").ToList();

    private CancellationTokenSource? _cts;
    private GridMetricsKey? _failedKey;

    /// <summary>The chosen row id ("deletion", "insertion", "drop"), or null for none.</summary>
    public string? Metric { get; set; }

    /// <summary>Sort the methods' columns by <see cref="Metric"/>, best first.</summary>
    public bool SortByMetric { get; set; }

    public bool Busy { get; private set; }

    public string? Error { get; private set; }

    public EngineEvaluation? Result { get; private set; }

    public GridMetricsKey? ResultKey { get; private set; }

    public TrustRow? Row => Offered.FirstOrDefault(r => r.Id == Metric);

    public static GridMetricsKey KeyOf(StudioState state, GridView grid, string metric) =>
        new(grid.Photo.Id, state.Model, state.Layer, string.Join(",", grid.Methods.Select(m => m.Id)), string.Join(",", grid.Classes.Select(c => c.Index)),
            MethodOptionText.Format(state.MethodOptions), metric);

    /// <summary>The engine's value under the cell of <paramref name="method"/> and <paramref name="classIndex"/>, formatted; null while unknown.</summary>
    public string? Cell(StudioState state, GridView grid, string method, int classIndex)
    {
        if (Row is not { } row || Result is null || ResultKey != KeyOf(state, grid, row.Id))
            return null;
        MapScores? scores = Result.Photos[0].Maps.FirstOrDefault(m => m.Method == method && m.ClassIndex == classIndex)?.Scores;
        return scores is null ? null : row.Cell(scores);
    }

    /// <summary>The grid's column indices in display order: as picked, or by the metric's mean (the engine's summary), best first.</summary>
    public IReadOnlyList<int> ColumnOrder(StudioState state, GridView grid)
    {
        IReadOnlyList<int> asPicked = Enumerable.Range(0, grid.Methods.Count).ToList();
        if (!SortByMetric || Row is not { } row || Result is null || ResultKey != KeyOf(state, grid, row.Id))
            return asPicked;
        var means = Result.Summary.ToDictionary(s => s.Method, s => MeanOf(row, s));
        return asPicked
            .OrderBy(c => means.GetValueOrDefault(grid.Methods[c].Id) is { } m ? (row.Better == Better.Lower ? m : -m) : double.PositiveInfinity)
            .ToList();
    }

    /// <summary>Scores the grid's cells with the chosen metric unless that is already done (or failed) for this grid.</summary>
    public async Task EnsureCurrentAsync(IStudioEngine engine, StudioSession session, StudioState state, GridView? grid, Action changed, CancellationToken lifetime)
    {
        if (Row is not { } row || grid is null || grid.Methods.Count == 0 || grid.Classes.Count == 0)
            return;
        GridMetricsKey key = KeyOf(state, grid, row.Id);
        if (key == ResultKey || key == _pendingKey || key == _failedKey)
            return;
        CancellationToken token = Cancellations.Renew(ref _cts, lifetime);
        _pendingKey = key;
        Busy = true;
        Error = null;
        changed();
        try
        {
            var request = new EvaluateRequest
            {
                Request = new CamRequest
                {
                    Model = state.Model,
                    Methods = grid.Methods.Select(m => m.Id).ToList(),
                    Layer = state.Layer,
                    Options = state.MethodOptions.Where(p => grid.Methods.Any(m => p.Key.StartsWith(m.Id + ".", StringComparison.OrdinalIgnoreCase)))
                        .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase),
                    ClassSelection = new ClassSelection.Indices(grid.Classes.Select(c => c.Index).ToList()),
                    Priority = WorkPriority.Interactive,
                    Owner = session.Owner,
                },
                Metrics = [row.Id], // the offered rows' ids are the engine's metric ids
            };
            EngineEvaluation result = await engine.EvaluateAsync(request, [grid.Photo.Pixels], null, token);
            token.ThrowIfCancellationRequested();
            Result = result;
            ResultKey = key;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _failedKey = key;
            Error = ex.Message;
            state.ShowError("The grid's metric could not be computed", ex);
        }
        finally
        {
            if (!token.IsCancellationRequested)
            {
                Busy = false;
                _pendingKey = null;
            }
        }
        changed();
    }

    private GridMetricsKey? _pendingKey;

    public void Stop()
    {
        Cancellations.Cancel(ref _cts);
        Busy = false;
        _pendingKey = null;
    }

    private static double? MeanOf(TrustRow row, MethodSummary summary) => row.Id switch
    {
        "deletion" => summary.DeletionAuc?.Mean,
        "insertion" => summary.InsertionAuc?.Mean,
        "drop" => summary.AverageDrop?.Mean,
        _ => null,
    };
}

/// <summary>What a grid metric was computed for: photo, model, layer, methods, classes, options and metric.</summary>
public sealed record GridMetricsKey(Guid Photo, string Model, string Layer, string Methods, string Classes, string Options, string Metric);
