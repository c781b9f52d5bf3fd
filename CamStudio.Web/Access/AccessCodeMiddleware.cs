using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Access;

/// <summary>
/// Decides who sends each request (<see cref="StudioCaller"/>, set as the request's principal). A genuine loopback
/// connection is the host. Every other client must show the access code: once in the sign-in form or as
/// <c>?code=…</c> on a page (a new browser session: a signed HttpOnly cookie, then a redirect to a local path),
/// or with every request as header <c>X-CamStudio-Code</c> or <c>?code=</c> on API and hub URLs (the address's
/// script session). Wrong codes are throttled per address (<see cref="WrongCodeLimiter"/>). Without the code:
/// 401 problem details for <c>/api</c>, <c>/hubs</c> and <c>/_blazor</c>; the sign-in form for everything else.
/// </summary>
public sealed class AccessCodeMiddleware(
    RequestDelegate next, AccessCode accessCode, StudioSessions sessions, WrongCodeLimiter limiter, IAntiforgery antiforgery, IOptions<AccessOptions> options)
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
        HttpRequest request = context.Request;
        if (HttpMethods.IsPost(request.Method) && request.Path.Equals(FormPath, StringComparison.OrdinalIgnoreCase) && request.HasFormContentType)
        {
            await HandleFormAsync(context);
            return;
        }
        if (sessions.FromCookie(request.Cookies[CookieName]) is { } session)
        {
            await AdmitAsync(context, session);
            return;
        }
        string address = AddressOf(context);
        string? headerCode = request.Headers[HeaderName].FirstOrDefault();
        string? queryCode = request.Query["code"].FirstOrDefault();
        if (headerCode is null && queryCode is null)
        {
            await RefuseAsync(context, wrongCode: false);
            return;
        }
        switch (limiter.Check(accessCode, headerCode ?? queryCode, address))
        {
            case CodeCheck.Throttled:
                await ThrottleAsync(context);
                return;
            case CodeCheck.Wrong:
                await RefuseAsync(context, wrongCode: true);
                return;
        }
        if (headerCode is not null || IsMachineEndpoint(request.Path) || !HttpMethods.IsGet(request.Method))
        {
            // Scripts and SignalR clients (negotiate, then the websocket) send the code with every request.
            await AdmitAsync(context, sessions.ScriptSession(address, request.Headers.UserAgent));
            return;
        }
        // A page opened with ?code= (a link the host shared): a browser session, then the same page without the code.
        StartBrowserSession(context);
        var query = QueryHelpers.ParseQuery(request.QueryString.Value).Where(kv => kv.Key != "code")
            .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v)));
        context.Response.Redirect(LocalRedirect.OrRoot(QueryHelpers.AddQueryString(request.PathBase + request.Path, query)));
    }

    /// <summary>
    /// Only a genuine loopback connection is the host. A connection without an address (a Unix socket, a same-host
    /// proxy) is not, unless the user said a trusted proxy sits there (<see cref="AccessOptions.TrustedProxy"/>;
    /// its <c>X-Forwarded-For</c> has then already replaced the address of the clients it forwards).
    /// </summary>
    private bool IsHost(IPAddress? address) => address is null ? options.Value.TrustedProxy : IPAddress.IsLoopback(address);

    private static string AddressOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "no-address";

    private Task AdmitAsync(HttpContext context, StudioSessionInfo session)
    {
        context.User = new StudioCaller(session.Id, IsHost: false).ToPrincipal();
        return next(context);
    }

    private static bool IsMachineEndpoint(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/_blazor");

    private void StartBrowserSession(HttpContext context)
    {
        var (_, cookie) = sessions.StartBrowserSession(AddressOf(context), context.Request.Headers.UserAgent);
        context.Response.Cookies.Append(CookieName, cookie, new CookieOptions
        {
            HttpOnly = true,
            // Lax, not Strict: a link to the studio from a chat keeps the session (and its jobs); cross-site posts and
            // websockets carry no cookie under Lax, and are refused by their Origin anyway (RequestOriginCheck).
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            IsEssential = true,
            MaxAge = options.Value.SessionLifetime,
        });
    }

    private async Task HandleFormAsync(HttpContext context)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            // A form posted from another site (or a stale page): show a fresh form rather than an error page.
            await WriteFormAsync(context, "/", "The form had expired. Enter the code again.", StatusCodes.Status400BadRequest);
            return;
        }
        IFormCollection form = await context.Request.ReadFormAsync(context.RequestAborted);
        string returnUrl = LocalRedirect.OrRoot(form["returnUrl"].FirstOrDefault());
        switch (limiter.Check(accessCode, form["code"].FirstOrDefault(), AddressOf(context)))
        {
            case CodeCheck.Right:
                StartBrowserSession(context);
                context.Response.Redirect(returnUrl);
                return;
            case CodeCheck.Wrong:
                await WriteFormAsync(context, returnUrl, "That code is not right. Try again.", StatusCodes.Status401Unauthorized);
                return;
            default:
                context.Response.Headers.RetryAfter = "60";
                await WriteFormAsync(context, returnUrl, "Too many wrong codes from this device. Wait a minute, then try again.", StatusCodes.Status429TooManyRequests);
                return;
        }
    }

    private async Task ThrottleAsync(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "60";
        if (IsMachineEndpoint(context.Request.Path))
        {
            await Results.Problem(title: "Too many wrong access codes",
                detail: "This address sent too many wrong codes in the last minute. Wait a minute, then try again.",
                statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context);
            return;
        }
        await WriteFormAsync(context, ReturnUrlOf(context.Request), "Too many wrong codes from this device. Wait a minute, then try again.", StatusCodes.Status429TooManyRequests);
    }

    private async Task RefuseAsync(HttpContext context, bool wrongCode)
    {
        if (IsMachineEndpoint(context.Request.Path))
        {
            await Results.Problem(
                title: "Access code required",
                detail: wrongCode
                    ? "The access code is wrong. Ask the host for the code printed when CamStudio started."
                    : $"Requests from other machines need the access code: header {HeaderName}, query ?code=, or the cookie set by the sign-in page.",
                statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
            return;
        }
        await WriteFormAsync(context, ReturnUrlOf(context.Request), wrongCode ? "That code is not right. Try again." : null, StatusCodes.Status401Unauthorized);
    }

    private static string ReturnUrlOf(HttpRequest request)
    {
        var rest = QueryHelpers.ParseQuery(request.QueryString.Value).Where(kv => kv.Key != "code")
            .SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v)));
        return LocalRedirect.OrRoot(QueryHelpers.AddQueryString(request.PathBase + request.Path, rest));
    }

    private async Task WriteFormAsync(HttpContext context, string returnUrl, string? error, int status)
    {
        AntiforgeryTokenSet tokens = antiforgery.GetAndStoreTokens(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        string message = error is null ? "" : $"<p class=\"error\">{HtmlEncoder.Default.Encode(error)}</p>";
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
            <input type="hidden" name="{{HtmlEncoder.Default.Encode(tokens.FormFieldName)}}" value="{{HtmlEncoder.Default.Encode(tokens.RequestToken ?? "")}}">
            <button type="submit">Enter</button>
            </form>
            </body></html>
            """, context.RequestAborted);
    }
}
