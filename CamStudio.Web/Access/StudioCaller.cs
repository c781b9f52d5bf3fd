using System.Security.Claims;

namespace CamStudio.Web.Access;

/// <summary>
/// Who sent a request: the host (a genuine loopback connection, or a trusted proxy's own machine) or one LAN session
/// (a browser or script that entered the access code). Set once per request by <see cref="AccessCodeMiddleware"/>
/// and carried as the request's <see cref="ClaimsPrincipal"/>, so SignalR hubs (<c>Context.User</c>) and Blazor
/// circuits (the authentication state of the circuit's connection) see the same caller as the HTTP API.
/// </summary>
/// <param name="SessionId">The owner key of what this caller creates: <see cref="HostSessionId"/> for the host.</param>
/// <param name="IsHost">The host sees and controls every session's jobs and may start jobs from server folders.</param>
public sealed record StudioCaller(string SessionId, bool IsHost)
{
    /// <summary>The owner of jobs the host created (and of jobs stored before owners existed).</summary>
    public const string HostSessionId = "host";

    private const string AuthenticationType = "CamStudio.Access";
    private const string SessionClaim = "camstudio:session";
    private const string HostClaim = "camstudio:host";

    public static StudioCaller Host { get; } = new(HostSessionId, true);

    /// <summary>True when this caller may see, follow, export and cancel a job owned by <paramref name="owner"/>.</summary>
    public bool CanAccess(string? owner) => IsHost || string.Equals(owner ?? HostSessionId, SessionId, StringComparison.Ordinal);

    public ClaimsPrincipal ToPrincipal() => new(new ClaimsIdentity(
        [new Claim(SessionClaim, SessionId), new Claim(HostClaim, IsHost ? "true" : "false")], AuthenticationType));

    /// <summary>The caller a principal made by <see cref="ToPrincipal"/> stands for; null for any other principal.</summary>
    public static StudioCaller? FromPrincipal(ClaimsPrincipal? principal)
    {
        if (principal?.Identities.FirstOrDefault(i => i.AuthenticationType == AuthenticationType) is not { } identity
            || identity.FindFirst(SessionClaim)?.Value is not { Length: > 0 } session)
            return null;
        return new StudioCaller(session, identity.FindFirst(HostClaim)?.Value == "true");
    }
}

public static class StudioCallerExtensions
{
    /// <summary>
    /// The caller of this request. Throws when the access middleware did not run: refusing is safer than guessing
    /// (every request of the app passes the middleware; only a misconfigured pipeline gets here without it).
    /// </summary>
    public static StudioCaller GetStudioCaller(this HttpContext context) =>
        StudioCaller.FromPrincipal(context.User)
        ?? throw new InvalidOperationException("No CamStudio caller on this request: UseCamStudioAccess() must run before endpoints.");
}
