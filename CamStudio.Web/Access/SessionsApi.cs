namespace CamStudio.Web.Access;

/// <summary>
/// <c>GET /api/sessions</c> (the LAN sessions, newest first) and <c>DELETE /api/sessions/{id}</c> (revoke one):
/// for the host only; a session gets 403.
/// </summary>
public static class SessionsApi
{
    public static RouteGroupBuilder MapSessionsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/sessions").WithTags("Sessions");
        group.MapGet("", (HttpContext context, StudioSessions sessions) =>
            context.GetStudioCaller().IsHost ? Results.Ok(sessions.List()) : HostOnly());
        group.MapDelete("{id}", (string id, HttpContext context, StudioSessions sessions) =>
            !context.GetStudioCaller().IsHost ? HostOnly()
            : sessions.Revoke(id) ? Results.NoContent()
            : Results.Problem(title: "No such session", detail: $"There is no session '{id}'.", statusCode: StatusCodes.Status404NotFound));
        return group;
    }

    private static IResult HostOnly() =>
        Results.Problem(title: "Sessions are for the host", detail: "Only the host (on the machine running CamStudio) can list or revoke sessions.",
            statusCode: StatusCodes.Status403Forbidden);
}
