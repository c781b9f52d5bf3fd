using System.Security.Cryptography;

namespace CamStudio.Web.Access;

/// <summary>
/// Headers on every response that keep other sites from framing the studio, sniffing its files into scripts,
/// learning its URLs, or running script in it. The content security policy is the narrowest the studio works
/// under (a Playwright test loads a photo and an overlay and asserts no violation):
/// scripts only from this server (plus the page's one inline import map, by a per-request nonce); styles from this
/// server and inline (MudBlazor sets <c>style</c> attributes); images from this server, <c>data:</c> (thumbnails)
/// and <c>blob:</c> (downloads); connections only to this server (Blazor's and SignalR's websockets).
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    private const string NonceKey = "CamStudio.CspNonce";

    /// <summary>The nonce this response's policy allows inline scripts with (App.razor puts it on the import map).</summary>
    public static string NonceOf(HttpContext context) =>
        context.Items[NonceKey] as string ?? throw new InvalidOperationException("SecurityHeaders did not run for this request.");

    public Task InvokeAsync(HttpContext context)
    {
        string nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        context.Items[NonceKey] = nonce;
        IHeaderDictionary headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers.ContentSecurityPolicy =
            $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
            "font-src 'self' data:; connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
        return next(context);
    }
}
