using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Runtime;

namespace CamStudio.Web.Studio;

/// <summary>
/// The Trust tab's work and what it shows: the current map's faithfulness metrics beside the baselines' and its sanity
/// check (<see cref="CamEngine.EvaluateAsync"/>), and the layer × method sweep (<see cref="CamEngine.RecommendAsync"/>).
/// Every number comes from the engine; this only asks and keeps the answers. Like <see cref="ExploreView"/> it lives
/// with the page, so switching tabs keeps what was measured, and a result stays on screen (marked stale) while a new
/// one is computed or after a failure.
/// </summary>
public sealed class TrustView(StudioState state, StudioSession session, IStudioEngine engine, Func<Action, Task> dispatch, Action changed)
{
    /// <summary>The metrics the panel asks for; pointing is added when a box is drawn.</summary>
    public static IReadOnlyList<string> PanelMetrics { get; } =
        [MetricNames.Deletion, MetricNames.Insertion, MetricNames.Drop, MetricNames.Increase, MetricNames.Road, MetricNames.Sanity];

    private CancellationTokenSource? _evaluateCts;
    private CancellationTokenSource? _recommendCts;

    /// <summary>What the shown evaluation was asked for; a different current request makes it stale.</summary>
    public TrustKey? EvaluatedKey { get; private set; }

    public EngineEvaluation? Evaluation { get; private set; }

    /// <summary>Why the sanity check is missing (the engine refused it for this model), or null.</summary>
    public string? SanityUnavailable { get; private set; }

    public bool Evaluating { get; private set; }

    public ExplainProgress? EvaluateProgress { get; private set; }

    /// <summary>The last evaluation failed or was cancelled: its message (what is shown stays).</summary>
    public string? EvaluateError { get; private set; }

    public EngineRecommendation? Recommendation { get; private set; }

    /// <summary>The photo and model the recommendation was made for.</summary>
    public TrustKey? RecommendedKey { get; private set; }

    public bool Recommending { get; private set; }

    public ExplainProgress? RecommendProgress { get; private set; }

    public string? RecommendError { get; private set; }

    /// <summary>How many of the model's last spatial layers the sweep takes (the engine checks the range).</summary>
    public int SweepLayers { get; set; } = 4;

    /// <summary>The object's box for the pointing games, in photo pixels, or null.</summary>
    public PhotoBox? Box { get; private set; }

    /// <summary>The engine's refusal of the box (outside the photo, …), shown beside the box field.</summary>
    public string? BoxError { get; private set; }

    /// <summary>The request the panel would evaluate now, or null when the explorer has no class yet.</summary>
    public TrustKey? CurrentKey => state.Photo is { } photo && state.Model.Length > 0 && state.Method.Length > 0 && state.ClassOption is { } c
        ? new TrustKey(photo.Id, state.Model, state.Method, state.Layer, c.Index, MethodOptionText.Format(OptionsOfMethod()), Box)
        : null;

    public bool EvaluationIsStale => Evaluation is not null && EvaluatedKey != CurrentKey;

    /// <summary>Evaluates the current map unless what is shown (or being computed) is already for it.</summary>
    public Task EnsureCurrentAsync(CancellationToken lifetime)
    {
        TrustKey? key = CurrentKey;
        if (key is null || key == EvaluatedKey || (Evaluating && key == _pendingKey) || (key == _failedKey))
            return Task.CompletedTask;
        return EvaluateAsync(lifetime);
    }

    private TrustKey? _pendingKey;
    private TrustKey? _failedKey;
    private PhotoBox? _boxBefore;

    /// <summary>Scores the current map and the three baselines with every panel metric (and pointing when a box is drawn).</summary>
    public async Task EvaluateAsync(CancellationToken lifetime)
    {
        if (CurrentKey is not { } key || state.Photo is not { } photo)
            return;
        CancellationToken token = Cancellations.Renew(ref _evaluateCts, lifetime);
        _pendingKey = key;
        _failedKey = null;
        Evaluating = true;
        EvaluateProgress = null;
        EvaluateError = null;
        changed();
        await MeasureAsync(key, token, "The metrics could not be computed", async () =>
        {
            var progress = new DispatchedProgress(p => _ = dispatch(() =>
            {
                if (token.IsCancellationRequested)
                    return;
                EvaluateProgress = p;
                changed();
            }));
            EngineEvaluation result;
            string? sanityUnavailable = null;
            try
            {
                result = await engine.EvaluateAsync(Request(key, PanelMetrics), [photo.Pixels], progress, token);
            }
            catch (CamRequestException ex) when (ex.Field == CamRequestFields.Metrics)
            {
                // A model that cannot re-initialise its weights has no sanity check; the other metrics still apply.
                sanityUnavailable = ex.Message;
                result = await engine.EvaluateAsync(Request(key, PanelMetrics.Where(m => m != MetricNames.Sanity).ToList()), [photo.Pixels], progress, token);
            }
            token.ThrowIfCancellationRequested();
            Evaluation = result;
            EvaluatedKey = key;
            SanityUnavailable = sanityUnavailable;
            BoxError = null;
        });
    }

    /// <summary>The Cancel button of a running evaluation: the engine stops at its next chunk; the last result stays.</summary>
    public void CancelEvaluation()
    {
        Cancellations.Cancel(ref _evaluateCts);
        if (Evaluating)
        {
            _failedKey = _pendingKey; // not re-run by itself: the user asked it to stop
            EvaluateError = "Cancelled.";
        }
        Evaluating = false;
        EvaluateProgress = null;
        _pendingKey = null;
        changed();
    }

    /// <summary>Sweeps the fast methods × the model's last layers on the current photo and class, ranked with the baselines.</summary>
    public async Task RecommendAsync(CancellationToken lifetime)
    {
        if (CurrentKey is not { } key || state.Photo is not { } photo)
            return;
        CancellationToken token = Cancellations.Renew(ref _recommendCts, lifetime);
        Recommending = true;
        RecommendProgress = null;
        RecommendError = null;
        changed();
        try
        {
            var progress = new DispatchedProgress(p => _ = dispatch(() =>
            {
                if (token.IsCancellationRequested)
                    return;
                RecommendProgress = p;
                changed();
            }));
            var request = new RecommendRequest
            {
                LastLayers = SweepLayers,
                Request = new CamRequest
                {
                    Model = key.Model,
                    ClassSelection = new ClassSelection.Indices([key.ClassIndex]),
                    Priority = WorkPriority.Interactive,
                    Owner = session.Owner,
                },
            };
            EngineRecommendation result = await engine.RecommendAsync(request, [photo.Pixels], progress, token);
            token.ThrowIfCancellationRequested();
            Recommendation = result;
            RecommendedKey = key;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            RecommendError = ex.Message;
            state.ShowError("The recommendation could not be computed", ex);
        }
        finally
        {
            if (!token.IsCancellationRequested)
            {
                Recommending = false;
                RecommendProgress = null;
            }
        }
        changed();
    }

    /// <summary>The Cancel button of the sweep: the engine stops at its next chunk; an earlier ranking stays.</summary>
    public void CancelRecommendation()
    {
        Cancellations.Cancel(ref _recommendCts);
        if (Recommending)
            RecommendError = "Cancelled.";
        Recommending = false;
        RecommendProgress = null;
        changed();
    }

    /// <summary>A new box (or none) for the pointing games; the engine checks it when the map is evaluated again.</summary>
    public Task SetBoxAsync(PhotoBox? box, CancellationToken lifetime)
    {
        _boxBefore = Box;
        Box = box;
        BoxError = null;
        _failedKey = null;
        // The map's other numbers do not depend on the box: with them on screen, only the pointing games are asked for.
        return Evaluation is not null && EvaluatedKey is { } shown && CurrentKey is { } now && shown with { Box = null } == now with { Box = null }
            ? PointAsync(lifetime)
            : EvaluateAsync(lifetime);
    }

    /// <summary>The pointing games of the shown maps for the current box (no perturbation passes), merged into what is shown.</summary>
    private async Task PointAsync(CancellationToken lifetime)
    {
        if (CurrentKey is not { } key || state.Photo is not { } photo || Evaluation is not { } shown)
            return;
        CancellationToken token = Cancellations.Renew(ref _evaluateCts, lifetime);
        _pendingKey = key;
        Evaluating = true;
        changed();
        await MeasureAsync(key, token, "The pointing game could not be computed", async () =>
        {
            EngineEvaluation pointed = key.Box is null ? shown : await engine.EvaluateAsync(Request(key, []), [photo.Pixels], null, token);
            token.ThrowIfCancellationRequested();
            Evaluation = WithPointing(shown, pointed, key.Box is not null);
            EvaluatedKey = key;
        });
    }

    /// <summary>
    /// Runs one measurement of <paramref name="key"/> with the panel's rules: a cancelled or replaced one leaves what is
    /// shown; a refused box goes back to the box before it, the numbers staying; any other failure is shown.
    /// </summary>
    private async Task MeasureAsync(TrustKey key, CancellationToken token, string failure, Func<Task> measure)
    {
        try
        {
            await measure();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Cancelled or replaced by a newer request: what is shown stays.
        }
        catch (CamRequestException ex) when (ex.Field == CamRequestFields.Box)
        {
            // The refused box goes; the numbers shown stay current for the box before it.
            _failedKey = key;
            BoxError = ex.Message;
            if (Box == key.Box)
                Box = _boxBefore;
        }
        catch (Exception ex)
        {
            _failedKey = key;
            EvaluateError = ex.Message;
            state.ShowError(failure, ex);
        }
        finally
        {
            if (!token.IsCancellationRequested)
            {
                Evaluating = false;
                EvaluateProgress = null;
                _pendingKey = null;
            }
        }
        changed();
    }

    /// <summary><paramref name="shown"/> with each map's pointing results taken from the same map in <paramref name="pointed"/> (or cleared).</summary>
    private static EngineEvaluation WithPointing(EngineEvaluation shown, EngineEvaluation pointed, bool hasBox)
    {
        var byMap = pointed.Photos[0].Maps.ToDictionary(m => (m.Method, m.ClassIndex), m => m.Scores);
        PhotoEvaluation photo = shown.Photos[0];
        var maps = photo.Maps.Select(m => m with
        {
            Scores = m.Scores with
            {
                PointingHit = hasBox ? byMap.GetValueOrDefault((m.Method, m.ClassIndex))?.PointingHit : null,
                EnergyPointing = hasBox ? byMap.GetValueOrDefault((m.Method, m.ClassIndex))?.EnergyPointing : null,
            },
        }).ToList();
        return shown with { Photos = [photo with { Maps = maps }] };
    }

    /// <summary>Shows why a typed box could not be read (the engine's parse message).</summary>
    public void RejectBox(string message)
    {
        BoxError = message;
        changed();
    }

    /// <summary>Stops all work (the photo went away or the page closes).</summary>
    public void Stop()
    {
        Cancellations.Cancel(ref _evaluateCts);
        Cancellations.Cancel(ref _recommendCts);
        Evaluating = false;
        Recommending = false;
        _pendingKey = null;
    }

    /// <summary>Forgets the box (a new photo has its own object).</summary>
    public void ClearBox()
    {
        Box = null;
        BoxError = null;
    }

    private EvaluateRequest Request(TrustKey key, IReadOnlyList<string> metrics) => new()
    {
        Request = new CamRequest
        {
            Model = key.Model,
            Methods = [key.Method],
            Layer = key.Layer,
            Options = OptionsOfMethod(),
            ClassSelection = new ClassSelection.Indices([key.ClassIndex]),
            Priority = WorkPriority.Interactive,
            Owner = session.Owner,
        },
        Metrics = key.Box is null ? metrics : [.. metrics, MetricNames.Pointing],
        Baselines = true,
        Box = key.Box,
    };

    private Dictionary<string, string> OptionsOfMethod() => state.MethodOptions
        .Where(p => p.Key.StartsWith(state.Method + ".", StringComparison.OrdinalIgnoreCase))
        .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>An <see cref="IProgress{T}"/> that calls its handler where the report is made (the handler dispatches).</summary>
    private sealed class DispatchedProgress(Action<ExplainProgress> handler) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => handler(value);
    }
}

/// <summary>What one Trust evaluation is of: photo, model, method, layer, class, the method's options and the box.</summary>
public sealed record TrustKey(Guid Photo, string Model, string Method, string Layer, int ClassIndex, string Options, PhotoBox? Box);
