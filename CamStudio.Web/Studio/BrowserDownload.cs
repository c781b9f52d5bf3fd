using Microsoft.JSInterop;

namespace CamStudio.Web.Studio;

/// <summary>Hands produced bytes to the browser as a file; a failure to produce them is shown like any studio error.</summary>
internal static class BrowserDownload
{
    public static async Task SendAsync(IJSRuntime js, StudioState state, string fileName, string contentType, Func<Task<byte[]>> produce)
    {
        try
        {
            byte[] bytes = await produce();
            using var stream = new MemoryStream(bytes);
            using var reference = new DotNetStreamReference(stream);
            await js.InvokeVoidAsync("camStudio.download", fileName, contentType, reference);
        }
        catch (JSDisconnectedException)
        {
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            state.ShowError($"{fileName} could not be produced", ex);
        }
    }

    public static string DataUrl(byte[] bytes, string contentType) => $"data:{contentType};base64,{Convert.ToBase64String(bytes)}";

    public static string Stem(StudioPhoto photo) => Path.GetFileNameWithoutExtension(photo.FileName);

    public static string Slug(string text) =>
        string.Concat(text.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')).Trim('-');
}
