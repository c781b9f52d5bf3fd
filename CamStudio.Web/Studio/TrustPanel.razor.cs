using System.Globalization;
using CamStudio.Engine;
using CamStudio.Engine.Metrics;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace CamStudio.Web.Studio;

/// <summary>
/// Shows the <see cref="TrustView"/>: measures the current map when the tab is shown or the choice changes, turns a
/// box dragged on the photo (the browser reports it as fractions of the image) or typed into photo pixels, and hands
/// a ranked layer and method to the page to apply.
/// </summary>
public sealed partial class TrustPanel : IAsyncDisposable
{
    private ElementReference _boxFrame;
    private DotNetObjectReference<TrustPanel>? _self;
    private string? _attachedFrame;

    [Inject] private IJSRuntime JS { get; set; } = null!;

    [Parameter, EditorRequired] public StudioState State { get; set; } = null!;

    [Parameter, EditorRequired] public TrustView Trust { get; set; } = null!;

    /// <summary>The explorer, whose overlay is the photo the box is drawn on.</summary>
    [Parameter, EditorRequired] public ExploreView Explore { get; set; } = null!;

    /// <summary>The page's lifetime: the panel's work outlives this tab.</summary>
    [Parameter] public CancellationToken Lifetime { get; set; }

    /// <summary>Sets the explorer's method and layer to a ranked pair.</summary>
    [Parameter] public EventCallback<Recommendation> Apply { get; set; }

    protected override Task OnParametersSetAsync() => Trust.EnsureCurrentAsync(Lifetime);

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // The frame is a new element after the photo is shown again: each one gets the drag handler once.
        if (Explore.Overlay is null || _boxFrame.Id is null || _boxFrame.Id == _attachedFrame)
            return;
        _attachedFrame = _boxFrame.Id;
        _self ??= DotNetObjectReference.Create(this);
        try
        {
            await JS.InvokeVoidAsync("camStudio.attachBoxDrawing", _boxFrame, _self);
        }
        catch (JSDisconnectedException)
        {
        }
    }

    /// <summary>The browser's report of a dragged box, as fractions (0–1) of the shown photo.</summary>
    [JSInvokable]
    public Task OnBoxDrawnAsync(double left, double top, double right, double bottom)
    {
        if (State.Photo is not { } photo)
            return Task.CompletedTask;
        // To the nearest photo pixel: the drag's ends are where the pointer was, not cells to cover.
        int Px(double f, int size) => (int)Math.Round(Math.Clamp(f, 0, 1) * size, MidpointRounding.AwayFromZero);
        var box = new PhotoBox(Px(Math.Min(left, right), photo.Width), Px(Math.Min(top, bottom), photo.Height),
            Px(Math.Max(left, right), photo.Width), Px(Math.Max(top, bottom), photo.Height));
        return InvokeAsync(() => Trust.SetBoxAsync(box, Lifetime));
    }

    private string BoxText => Trust.Box?.ToString() ?? "";

    /// <summary>A typed box: read by the engine's parser; whether it fits the photo is the engine's check when the map is scored.</summary>
    private Task OnBoxTypedAsync(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return ClearBoxAsync();
        PhotoBox box;
        try
        {
            box = PhotoBox.Parse(text);
        }
        catch (CamRequestException ex)
        {
            Trust.RejectBox(ex.Message);
            return Task.CompletedTask;
        }
        return Trust.SetBoxAsync(box, Lifetime);
    }

    private Task ClearBoxAsync() => Trust.SetBoxAsync(null, Lifetime);

    private Task ApplyAsync(Recommendation recommendation) => Apply.InvokeAsync(recommendation);

    private bool IsApplied(Recommendation r) =>
        r.Method == State.Method && (r.Layer == State.Layer || (State.Layer == Home.AutoLayer && State.Details?.AutoLayer == r.Layer));

    private string Subject => Trust.CurrentKey is { } key
        ? $"{State.MethodName(key.Method)} · {State.LabelOf(key.ClassIndex)} · layer {(key.Layer == Home.AutoLayer ? Trust.Evaluation?.Layer ?? "auto" : key.Layer)}"
        : "";

    private string SubjectOf(EngineEvaluation evaluation, EvaluatedMap method) =>
        $"{State.MethodName(method.Method)} · {method.ClassName} · layer {evaluation.Layer}";

    private static EvaluatedMap? Method(EngineEvaluation evaluation) => evaluation.Photos.FirstOrDefault()?.Maps.FirstOrDefault(m => !m.IsBaseline);

    private static IReadOnlyList<EvaluatedMap> Baselines(EngineEvaluation evaluation) =>
        evaluation.Photos.FirstOrDefault()?.Maps.Where(m => m.IsBaseline).ToList() ?? [];

    private IReadOnlyList<CurveSeries> Curves(EvaluatedMap method, IReadOnlyList<EvaluatedMap> baselines, IReadOnlyList<double> fractions,
        Func<MapScores, IReadOnlyList<double>?> curve)
    {
        var series = new List<CurveSeries>();
        if (curve(method.Scores) is { } own)
            series.Add(new CurveSeries(method.Method, State.MethodName(method.Method), fractions, own, true));
        foreach (EvaluatedMap b in baselines)
        {
            if (curve(b.Scores) is { } values)
                series.Add(new CurveSeries(b.Method, BaselineName(b.Method), b.Scores.Fractions ?? fractions, values, false));
        }
        return series;
    }

    internal static string BaselineName(string baseline) => baseline switch
    {
        MetricNames.BaselineRandom => "Random",
        MetricNames.BaselineCentre => "Centre",
        MetricNames.BaselineSobel => "Sobel",
        _ => baseline,
    };

    private static string BaselineHint(string baseline) => baseline switch
    {
        MetricNames.BaselineRandom => "seeded uniform noise on the layer's grid, upsampled like a map",
        MetricNames.BaselineCentre => "a centred Gaussian, σ = a quarter of the side",
        MetricNames.BaselineSobel => "the photo's Sobel edges",
        _ => baseline,
    };

    /// <summary>Where a box sits on the shown photo, as percentages (the image scales with the page).</summary>
    private static string BoxStyle(PhotoBox box, StudioPhoto photo) => string.Create(CultureInfo.InvariantCulture,
        $"left: {100.0 * box.X0 / photo.Width:0.###}%; top: {100.0 * box.Y0 / photo.Height:0.###}%; width: {100.0 * (box.X1 - box.X0) / photo.Width:0.###}%; height: {100.0 * (box.Y1 - box.Y0) / photo.Height:0.###}%");

    private static string F(double value) => double.IsFinite(value) ? value.ToString("0.000", CultureInfo.InvariantCulture) : "—";

    public ValueTask DisposeAsync()
    {
        _self?.Dispose();
        return ValueTask.CompletedTask;
    }
}
