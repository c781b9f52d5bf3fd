using CamStudio.Engine.Imaging;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace CamStudio.Web.Studio;

/// <summary>
/// Reads uploads into the session within the photo limits; a rejected file is said in a snackbar and the others go on.
/// </summary>
public sealed partial class UploadPanel : IDisposable
{
    private PhotoLimits _limits = PhotoLimits.Default;
    private bool _uploading;
    private readonly CancellationTokenSource _lifetime = new();

    [Inject] private StudioPictures Pictures { get; set; } = null!;

    [Inject] private StudioSession Session { get; set; } = null!;

    [Inject] private ISnackbar Snackbar { get; set; } = null!;

    [Inject] private ILogger<UploadPanel> Logger { get; set; } = null!;

    [Parameter] public StudioPhoto? Selected { get; set; }

    /// <summary>A thumbnail was clicked, or an upload's first photo arrived.</summary>
    [Parameter] public EventCallback<StudioPhoto> SelectedChanged { get; set; }

    [Parameter] public EventCallback<StudioPhoto> Removed { get; set; }

    protected override void OnInitialized() => _limits = Pictures.Limits;

    private async Task OnFilesChangedAsync(InputFileChangeEventArgs args)
    {
        _uploading = true;
        StateHasChanged();
        StudioPhoto? first = null;
        try
        {
            foreach (IBrowserFile file in args.GetMultipleFiles(Math.Max(args.FileCount, 1)))
            {
                try
                {
                    StudioPhoto added = await AddPhotoAsync(file);
                    first ??= added;
                }
                catch (Exception ex) when (ex is StudioInputException or PhotoDecodeException)
                {
                    Logger.LogInformation("Upload rejected: {Message}", ex.Message);
                    Snackbar.Add(ex.Message, Severity.Error);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Logger.LogWarning(ex, "Upload of {File} failed", file.Name);
                    Snackbar.Add($"{file.Name}: the upload failed ({ex.Message}).", Severity.Error);
                }
            }
        }
        finally
        {
            _uploading = false;
        }
        if (first is not null)
            await SelectedChanged.InvokeAsync(first);
    }

    private async Task<StudioPhoto> AddPhotoAsync(IBrowserFile file)
    {
        if (file.Size > _limits.MaxBytes)
            throw new StudioInputException($"{file.Name} is {FormatBytes(file.Size)}; the limit is {FormatBytes(_limits.MaxBytes)}.");
        if (Session.Photos.Count >= _limits.MaxPhotos)
            throw new StudioInputException($"{file.Name}: a session holds at most {_limits.MaxPhotos} photos; remove one first.");
        // The browser's stream is read whole first (bounded by the byte limit), so a slow upload never holds the engine.
        using var buffer = new MemoryStream();
        try
        {
            await using Stream upload = file.OpenReadStream(_limits.MaxBytes, _lifetime.Token);
            await upload.CopyToAsync(buffer, _lifetime.Token);
        }
        catch (IOException ex)
        {
            throw new StudioInputException($"{file.Name} could not be read: {ex.Message}", ex);
        }
        buffer.Position = 0;
        return await Session.AddPhotoAsync(file.Name, buffer, _lifetime.Token);
    }

    /// <summary>Binary units, named as such (MiB = 2^20 bytes), so the number says what the limit checks.</summary>
    internal static string FormatBytes(long bytes) =>
        bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.#} MiB" : bytes >= 1 << 10 ? $"{bytes / 1024.0:0.#} KiB" : $"{bytes} bytes";

    internal static string FormatPixels(long pixels) => $"{pixels / 1e6:0.#} megapixels";

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }
}
