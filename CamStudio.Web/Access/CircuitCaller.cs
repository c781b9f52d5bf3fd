using Microsoft.AspNetCore.Components.Authorization;

namespace CamStudio.Web.Access;

/// <summary>
/// The caller of a Blazor circuit (scoped: one per circuit, and one per prerender). Blazor hands the circuit the
/// principal of the connection that started it (the <c>/_blazor</c> request, which passed the access middleware),
/// and the prerender the principal of the page request; this reads it from there.
/// </summary>
public sealed class CircuitCaller(AuthenticationStateProvider authentication)
{
    private StudioCaller? _caller;

    /// <summary>The caller; throws when the circuit's connection did not pass the access middleware (never serve a guess).</summary>
    public StudioCaller Value => _caller ??= Resolve();

    private StudioCaller Resolve()
    {
        // Both Blazor providers (prerender and circuit) hold an already completed task set from the connection.
        Task<AuthenticationState> state = authentication.GetAuthenticationStateAsync();
        if (!state.IsCompletedSuccessfully)
            throw new InvalidOperationException("The circuit's caller is not known yet.");
        return StudioCaller.FromPrincipal(state.Result.User)
            ?? throw new InvalidOperationException("This circuit did not pass the CamStudio access middleware.");
    }
}
