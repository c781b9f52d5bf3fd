using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace CamStudio.Web.Studio;

/// <summary>Shows the <see cref="ExploreView"/> and hands its map to the browser: overlay PNG at full resolution, <c>.npy</c> and <c>.raw.npy</c>.</summary>
public sealed partial class ExplorePanel : IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();

    [Inject] private StudioPictures Pictures { get; set; } = null!;

    [Inject] private IJSRuntime JS { get; set; } = null!;

    [Parameter, EditorRequired] public StudioState State { get; set; } = null!;

    [Parameter, EditorRequired] public ExploreView View { get; set; } = null!;

    /// <summary>The photo's aspect ratio for the stylesheet, which limits the view's height to the screen's.</summary>
    private string? AspectStyle => State.Photo is { Height: > 0 } photo
        ? $"--photo-aspect: {(photo.Width / (double)photo.Height).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}"
        : null;

    private string Caption(PlacedClassMap map) =>
        $"{State.MethodName(map.Method)} · {map.ClassName} · layer {map.Layer} ({map.Map.Map.Width}×{map.Map.Map.Height})"
        + (map.Making.IsPlain ? "" : $" · {map.Making.Describe()}");

    private async Task DownloadOverlayAsync()
    {
        if (State.Photo is not { } photo || View.Overlay is not { } overlay)
            return;
        await BrowserDownload.SendAsync(JS, State, $"{BrowserDownload.Stem(photo)}-{overlay.Map.Method}-{BrowserDownload.Slug(overlay.Map.ClassName)}.png", "image/png",
            () => Pictures.RenderOverlayPngAsync(photo, overlay.Map.Map, State.Style(null), fullResolution: true, _lifetime.Token));
    }

    /// <summary>The map after the one .npy contract (<see cref="MapFiles"/>): normalised at the model input's size.</summary>
    private async Task DownloadNpyAsync()
    {
        if (State.Photo is not { } photo || View.Overlay is not { } overlay)
            return;
        PlacedClassMap map = overlay.Map;
        await BrowserDownload.SendAsync(JS, State, MapFiles.NormalisedName(BrowserDownload.Stem(photo), map.Method, map.ClassIndex), "application/octet-stream",
            () => Task.FromResult(MapFiles.NormalisedNpy(map.Map)));
    }

    /// <summary>The raw map at the layer's size (<c>.raw.npy</c>).</summary>
    private async Task DownloadRawNpyAsync()
    {
        if (State.Photo is not { } photo || View.Overlay is not { } overlay)
            return;
        PlacedClassMap map = overlay.Map;
        await BrowserDownload.SendAsync(JS, State, MapFiles.RawName(BrowserDownload.Stem(photo), map.Method, map.ClassIndex), "application/octet-stream",
            () => Task.FromResult(MapFiles.RawNpy(map.Map)));
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }
}
