using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Access;

/// <summary>
/// Ends the open connections of a revoked session: every hub call (the jobs and presenter hubs, and Blazor's own
/// circuit hub, so clicks in an open studio page too) first checks that the caller's session is still listed; if not,
/// the connection is closed, and the browser's reconnect meets the sign-in form.
/// </summary>
public sealed class EndedSessionHubFilter(StudioSessions sessions) : IHubFilter
{
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (StudioCaller.FromPrincipal(invocationContext.Context.User) is { IsHost: false } caller && !sessions.IsListed(caller.SessionId))
        {
            invocationContext.Context.Abort();
            throw new HubException("This session was ended by the host. Enter the access code again.");
        }
        return next(invocationContext);
    }
}
