using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Studio;

/// <summary>
/// Asks the session (and so the engine) for the photo's concepts whenever photo, model, layer or K change, and shows
/// the last answer; a newer choice cancels the running one. The pictures are the engine's: the regions on the page beside
/// a legend list in the theme's colours, and for download the whole picture as the CLI and API draw it.
/// </summary>
public sealed partial class ConceptsPanel : IDisposable
{
    private CancellationTokenSource? _cts;
    private (Guid Photo, string Model, string Layer, int K)? _key;
    private ShownConcepts? _shown;
    private bool _busy;
    private string? _error;

    [Inject] private StudioSession Session { get; set; } = null!;

    [Inject] private IJSRuntime JS { get; set; } = null!;

    [Parameter, EditorRequired] public StudioState State { get; set; } = null!;

    [Parameter] public CancellationToken Lifetime { get; set; }

    /// <summary>Raised after the user picked another K (the page writes it to the URL).</summary>
    [Parameter] public EventCallback CountChanged { get; set; }

    private static IReadOnlyList<int> Counts { get; } = [2, 3, 4, 5, 6, 8, 10, 12, 16];

    protected override Task OnParametersSetAsync() => RefreshAsync();

    private async Task OnCountChangedAsync(int k)
    {
        State.ConceptCount = k;
        await CountChanged.InvokeAsync();
        await RefreshAsync();
    }

    private async Task RefreshAsync()
    {
        if (State.Photo is not { } photo || State.Model.Length == 0 || State.ResolvedLayer is not { } layer)
            return;
        var key = (photo.Id, State.Model, layer, State.ConceptCount);
        if (key == _key)
            return;
        _key = key;
        CancellationToken token = Cancellations.Renew(ref _cts, Lifetime);
        _busy = true;
        _error = null;
        StateHasChanged();
        try
        {
            ConceptExplanation concepts = await Session.ConceptsAsync(photo, State.Model, layer, State.ConceptCount, token);
            token.ThrowIfCancellationRequested();
            // On the page, the regions alone beside the legend list (in the theme's colours: the picture's own legend
            // is a white strip that glares in the dark theme); the whole picture, legend included, is drawn on download.
            byte[] shown = await Task.Run(() =>
            {
                using Image<Rgb24> regions = concepts.RenderRegions(photo.Pixels);
                return HeatmapRenderer.EncodePng(regions);
            }, token);
            _shown = new ShownConcepts(photo.Id, concepts, BrowserDownload.DataUrl(shown, "image/png"));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return; // a newer choice replaced this work
        }
        catch (Exception ex) when (ex is CamRequestException or NotSupportedException)
        {
            // The engine's reason (e.g. K above the layer's channels) stays in the tab; the choice can be changed.
            // The key stays: a re-render of the page must not ask the engine the refused question again.
            _error = ex.Message;
            _shown = null;
        }
        catch (Exception ex)
        {
            State.ShowError("The concepts could not be computed", ex);
            _shown = null;
            _key = null;
        }
        _busy = false;
        StateHasChanged();
    }

    private static string ClassesText(PlacedConcept concept) => concept.TopClasses.Count == 0 ? "(no linear head to name it)"
        : string.Join(", ", concept.TopClasses.Select(p => $"{p.ClassName} {p.Probability * 100:0}%"));

    private static string Swatch(int index, int count)
    {
        Rgb24 c = ConceptPicture.Colour(index, count);
        return $"rgb({c.R}, {c.G}, {c.B})";
    }

    private async Task DownloadAsync()
    {
        if (_shown is not { } shown || State.Photo is not { } photo || photo.Id != shown.Photo)
            return;
        await BrowserDownload.SendAsync(JS, State, $"{BrowserDownload.Stem(photo)}-concepts-{shown.Concepts.Concepts.Count}.png", "image/png",
            () => Task.Run(() =>
            {
                using Image<Rgb24> picture = shown.Concepts.Render(photo.Pixels);
                return HeatmapRenderer.EncodePng(picture);
            }));
    }

    public void Dispose() => Cancellations.Cancel(ref _cts);

    private sealed record ShownConcepts(Guid Photo, ConceptExplanation Concepts, string PictureUrl);
}
