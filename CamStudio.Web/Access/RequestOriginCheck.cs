using Microsoft.Extensions.Options;

namespace CamStudio.Web.Access;

/// <summary>
/// Refuses (403) requests that another site's page made a browser send: every state-changing request (POST, PUT,
/// PATCH, DELETE) and every request to the hubs and Blazor's connection (<c>/hubs/*</c>, <c>/_blazor*</c>: negotiate
/// and the websocket upgrade) must come from this server's own origin (scheme, host and port of the request) or an
/// origin in <see cref="AccessOptions.AllowedOrigins"/>.
/// </summary>
/// <remarks>
/// The rule, and why it is sound: browsers send <c>Origin</c> on every cross-origin POST/PUT/PATCH/DELETE (forms and
/// fetch alike) and on every websocket handshake, whatever the Referrer-Policy; that header is what is checked.
/// When <c>Origin</c> is missing the <c>Referer</c>'s origin is checked instead, and <c>Origin: null</c> (sandboxed
/// frames, some redirects) is refused. A request with neither header cannot have come from another site's page in
/// a current browser: it is a script (curl, the SignalR .NET client), which is allowed, because a script is either the
/// host itself or had to show the access code like everyone else. This protects the host most: its loopback
/// connection needs no code, so without this check any page it visits could start jobs or take the presenter.
/// </remarks>
public sealed class RequestOriginCheck(RequestDelegate next, IOptions<AccessOptions> options, ILogger<RequestOriginCheck> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (IsChecked(request) && SenderOrigin(request) is { } origin && !IsAllowed(origin, request))
        {
            logger.LogWarning("Refused {Method} {Path} from origin {Origin}", request.Method, request.Path.Value, origin);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await Results.Problem(title: "Request from another site",
                detail: "This request came from a page of another site. Open CamStudio itself, or add that site to CamStudio:AllowedOrigins.",
                statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
            return;
        }
        await next(context);
    }

    private static bool IsChecked(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        || request.Path.StartsWithSegments("/hubs")
        || request.Path.Value?.StartsWith("/_blazor", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The origin the browser names (Origin, else Referer's); null when the request names none (a script).</summary>
    private static string? SenderOrigin(HttpRequest request)
    {
        string? origin = request.Headers.Origin.FirstOrDefault();
        if (!string.IsNullOrEmpty(origin))
            return origin;
        string? referer = request.Headers.Referer.FirstOrDefault();
        if (string.IsNullOrEmpty(referer))
            return null;
        return Uri.TryCreate(referer, UriKind.Absolute, out Uri? uri) ? uri.GetLeftPart(UriPartial.Authority) : "invalid-referer";
    }

    private bool IsAllowed(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? sender) || sender.Scheme is not ("http" or "https"))
            return false; // "null", "file://", garbage
        if (SameOrigin(sender, request.Scheme, request.Host))
            return true;
        foreach (string allowed in options.Value.AllowedOrigins)
        {
            if (Uri.TryCreate(allowed.Trim(), UriKind.Absolute, out Uri? configured)
                && string.Equals(configured.Scheme, sender.Scheme, StringComparison.OrdinalIgnoreCase)
                && string.Equals(configured.IdnHost, sender.IdnHost, StringComparison.OrdinalIgnoreCase)
                && configured.Port == sender.Port)
                return true;
        }
        return false;
    }

    private static bool SameOrigin(Uri sender, string scheme, HostString host)
    {
        if (!host.HasValue || !Uri.TryCreate($"{scheme}://{host.Value}", UriKind.Absolute, out Uri? own))
            return false;
        return string.Equals(own.Scheme, sender.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(own.IdnHost, sender.IdnHost, StringComparison.OrdinalIgnoreCase)
            && own.Port == sender.Port;
    }
}
