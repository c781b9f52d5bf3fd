using CamStudio.Engine;
using CamStudio.Engine.Cam;

namespace CamStudio.Web.Studio;

/// <summary>
/// The explore view's work and what it shows: one map of the current photo, model, method, layer and class. It lives
/// with the page (not with its tab), so a choice made on the other tab still refreshes it.
/// </summary>
public sealed class ExploreView(StudioState state, StudioSession session, StudioPictures pictures, Func<Action, Task> dispatch, Action changed)
{
    private CancellationTokenSource? _cts;
    private CancellationTokenSource? _recolourCts;

    public bool Busy { get; private set; }

    public RenderedOverlay? Overlay { get; set; }

    /// <summary>The guided backpropagation and Guided Grad-CAM of the overlay's class, when the user turned guided on.</summary>
    public GuidedImages? Guided { get; set; }

    /// <summary>The last overlay stays in view, marked stale, until the new one is drawn.</summary>
    public bool Stale { get; private set; }

    public ExplainProgress? Progress { get; private set; }

    public string? SlowEstimate { get; private set; }

    /// <summary>Raised when the explorer found the photo's class (its first map picks the top-1 class).</summary>
    public Action<Home.ClassOption>? ClassFound { get; set; }

    /// <summary>Raised after an overlay is drawn.</summary>
    public Action? Rendered { get; set; }

    public async Task RefreshAsync(CancellationToken lifetime)
    {
        if (state.Photo is null || state.Model.Length == 0 || state.Method.Length == 0)
            return;
        CancellationToken token = Cancellations.Renew(ref _cts, lifetime);
        StudioPhoto photo = state.Photo;
        Busy = true;
        Stale = Overlay is not null;
        Progress = null;
        SlowEstimate = Estimate(state.Method);
        changed();
        try
        {
            IReadOnlyList<int>? classes = state.ClassOption is null ? null : [state.ClassOption.Index];
            // Reports come from the torch thread: each is handed to the renderer's dispatcher.
            var progress = new InlineProgress(p => _ = dispatch(() =>
            {
                if (token.IsCancellationRequested)
                    return;
                Progress = p;
                changed();
            }));
            SessionExplanation result = await session.ExplainAsync(photo, state.Model, state.Layer, [state.Method], classes, token, progress, state.MethodOptions,
                state.FeaturesFor([state.Method]));
            token.ThrowIfCancellationRequested();
            state.Predictions = result.TopPredictions.Take(5).ToList();
            PlacedClassMap map = result.Maps[0];
            state.ClassOption ??= new Home.ClassOption(map.ClassIndex, map.ClassName);
            ClassFound?.Invoke(state.ClassOption);
            state.ClearErrors();
            Guided = result.Guided.FirstOrDefault(g => g.ClassIndex == map.ClassIndex) is { } guided ? GuidedImages.Render(guided, map) : null;
            await RenderAsync(photo, map, token);
            Stale = false;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // A newer choice replaced this work.
        }
        catch (Exception ex)
        {
            state.ShowError("The map could not be computed", ex);
        }
        finally
        {
            if (!token.IsCancellationRequested)
            {
                Busy = false;
                Progress = null;
                SlowEstimate = null;
            }
        }
        changed();
    }

    /// <summary>The Cancel button of a running explanation: the engine stops at its next chunk, the last overlay stays (stale).</summary>
    public void Cancel()
    {
        Cancellations.Cancel(ref _cts);
        Busy = false;
        Progress = null;
        SlowEstimate = null;
        changed();
    }

    /// <summary>Stops all work (the photo went away or the page closes).</summary>
    public void Stop()
    {
        Cancellations.Cancel(ref _cts);
        Cancellations.Cancel(ref _recolourCts);
    }

    /// <summary>Draws the current map again in the current colours (opacity or colormap changed).</summary>
    public async Task RecolourAsync(CancellationToken lifetime)
    {
        if (state.Photo is { } photo && Overlay is not null)
            await RenderAsync(photo, Overlay.Map, Cancellations.Renew(ref _recolourCts, lifetime));
    }

    private async Task RenderAsync(StudioPhoto photo, PlacedClassMap map, CancellationToken token)
    {
        byte[] png = await pictures.RenderOverlayPngAsync(photo, map.Map, state.Style(null), fullResolution: false, token);
        token.ThrowIfCancellationRequested();
        Overlay = new RenderedOverlay(map, BrowserDownload.DataUrl(png, "image/png"), png);
        Rendered?.Invoke();
        changed();
    }

    /// <summary>"About N s" for a slow method: the last quick explanation's forward time × the method's passes; null for quick ones.</summary>
    private string? Estimate(string methodId)
    {
        if (state.Methods.FirstOrDefault(m => m.Id == methodId) is not { IsSlow: true } method)
            return null;
        long channels = LayerChannels();
        long passes = channels > 0 ? method.ExtraForwards(channels) : 0;
        if (passes <= 0)
            return $"{method.DisplayName} runs many forward passes; progress follows.";
        if (session.LastQuickTimings is not { ForwardMs: > 0 } timings)
            return $"{method.DisplayName} runs {passes} forward passes; the time is estimated once they start.";
        TimeSpan estimate = TimeSpan.FromMilliseconds(timings.ForwardMs * passes);
        return $"{method.DisplayName} runs {passes} forward passes: about {FormatDuration(estimate)} ({timings.ForwardMs:0} ms each).";
    }

    private long LayerChannels()
    {
        if (state.Details is not { } details)
            return 0;
        string name = state.Layer == Home.AutoLayer ? details.DefaultLayer : state.Layer;
        if (name == Home.AutoLayer)
            name = details.AutoLayer;
        return details.Layers.FirstOrDefault(l => l.Name == name)?.Channels ?? 0;
    }

    internal static string FormatDuration(TimeSpan time) =>
        time.TotalSeconds < 1 ? "under a second" : time.TotalMinutes < 2 ? $"{time.TotalSeconds:0} s" : $"{time.TotalMinutes:0.#} min";

    /// <summary>An <see cref="IProgress{T}"/> that calls its handler where the report is made (no captured context).</summary>
    private sealed class InlineProgress(Action<ExplainProgress> handler) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => handler(value);
    }
}

public sealed record RenderedOverlay(PlacedClassMap Map, string ImageUrl, byte[] Png);
