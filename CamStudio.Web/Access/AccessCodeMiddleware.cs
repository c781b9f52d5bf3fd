using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.WebUtilities;

namespace CamStudio.Web.Access;

/// <summary>
/// Serves loopback clients as they are; every other client must show the access code: once as <c>?code=…</c>
/// (sets an HttpOnly cookie and redirects to the same URL without it), as header <c>X-CamStudio-Code</c>, or by
/// the cookie. Without it: 401 problem details for <c>/api</c>, <c>/hubs</c> and <c>/_blazor</c>; a small form
/// for everything else. The form posts to <c>/access</c>.
/// </summary>
public sealed class AccessCodeMiddleware(RequestDelegate next, AccessCode accessCode)
{
    public const string CookieName = "CamStudio.Access";
    public const string HeaderName = "X-CamStudio-Code";
    public const string FormPath = "/access";

    public async Task InvokeAsync(HttpContext context)
    {
        if (IsHost(context.Connection.RemoteIpAddress))
        {
            context.User = StudioCaller.Host.ToPrincipal();
            await next(context);
            return;
        }
        // Until sessions exist, every admitted LAN client is keyed by its address.
        context.User = new StudioCaller("addr:" + context.Connection.RemoteIpAddress, IsHost: false).ToPrincipal();
        HttpRequest request = context.Request;
        if (HttpMethods.IsPost(request.Method) && request.Path.Equals(FormPath, StringComparison.OrdinalIgnoreCase) && request.HasFormContentType)
        {
            await HandleFormAsync(context);
            return;
        }
        if (accessCode.MatchesCookie(request.Cookies[CookieName]) || accessCode.Matches(request.Headers[HeaderName].FirstOrDefault()))
        {
            await next(context);
            return;
        }
        string? queryCode = request.Query["code"].FirstOrDefault();
        if (queryCode is not null && accessCode.Matches(queryCode))
        {
            SetCookie(context);
            if (IsMachineEndpoint(request.Path) || !HttpMethods.IsGet(request.Method))
            {
                // Scripts and SignalR (negotiate, then the websocket) carry ?code= on every request.
                await next(context);
                return;
            }
            var query = QueryHelpers.ParseQuery(request.QueryString.Value).Where(kv => kv.Key != "code")
                .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v)));
            context.Response.Redirect(QueryHelpers.AddQueryString(request.PathBase + request.Path, query));
            return;
        }
        await RefuseAsync(context, wrongCode: queryCode is not null);
    }

    /// <summary>
    /// Only a genuine loopback connection is the host. A null address (a Unix socket, a same-host reverse proxy) is
    /// not: whoever reached the proxy may be anyone on the network.
    /// </summary>
    private static bool IsHost(IPAddress? address) => address is not null && IPAddress.IsLoopback(address);

    private static bool IsMachineEndpoint(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/_blazor");

    private void SetCookie(HttpContext context) =>
        context.Response.Cookies.Append(CookieName, accessCode.CookieValue, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            IsEssential = true,
            MaxAge = TimeSpan.FromDays(30),
        });

    private async Task HandleFormAsync(HttpContext context)
    {
        IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
        string returnUrl = form["returnUrl"].FirstOrDefault() is { } r && r.StartsWith('/') && !r.StartsWith("//", StringComparison.Ordinal) && !r.StartsWith("/\\", StringComparison.Ordinal) ? r : "/";
        if (accessCode.Matches(form["code"].FirstOrDefault()))
        {
            SetCookie(context);
            context.Response.Redirect(returnUrl);
            return;
        }
        await WriteFormAsync(context, returnUrl, wrongCode: true);
    }

    private static async Task RefuseAsync(HttpContext context, bool wrongCode)
    {
        if (IsMachineEndpoint(context.Request.Path))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await Results.Problem(
                title: "Access code required",
                detail: wrongCode
                    ? "The access code is wrong. Ask the host for the code printed when CamStudio started."
                    : $"Requests from other machines need the access code: header {HeaderName}, query ?code=, or the cookie set by the sign-in page.",
                statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
            return;
        }
        string returnUrl = context.Request.Path + QueryStringWithout(context.Request, "code");
        await WriteFormAsync(context, returnUrl, wrongCode);
    }

    private static string QueryStringWithout(HttpRequest request, string key)
    {
        var rest = QueryHelpers.ParseQuery(request.QueryString.Value).Where(kv => kv.Key != key)
            .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v)));
        return QueryHelpers.AddQueryString("", rest);
    }

    private static async Task WriteFormAsync(HttpContext context, string returnUrl, bool wrongCode)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        string message = wrongCode ? "<p class=\"error\">That code is not right. Try again.</p>" : "";
        await context.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>CamStudio: access code</title>
            <style>body{font-family:sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}input{font-size:1.2rem;padding:.4rem;width:100%;box-sizing:border-box;margin:.5rem 0}button{font-size:1.1rem;padding:.4rem 1rem}.error{color:#b00020}</style>
            </head><body>
            <h1>CamStudio</h1>
            <p>Enter the access code shown on the host's screen.</p>
            {{message}}
            <form method="post" action="{{FormPath}}">
            <input name="code" autocomplete="off" autofocus placeholder="XXXX-XXXX" aria-label="Access code">
            <input type="hidden" name="returnUrl" value="{{HtmlEncoder.Default.Encode(returnUrl)}}">
            <button type="submit">Enter</button>
            </form>
            </body></html>
            """, context.RequestAborted);
    }
}
