using CamStudio.Web.Access;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CamStudio.Tests.Web.Support;

/// <summary>Component tests play one caller (the host unless a test says otherwise), as the access middleware would set it.</summary>
public static class TestCaller
{
    public static IServiceCollection AddStudioCaller(this IServiceCollection services, StudioCaller caller)
    {
        services.RemoveAll<AuthenticationStateProvider>();
        services.AddSingleton<AuthenticationStateProvider>(new Fixed(caller));
        services.TryAddScoped<CircuitCaller>();
        return services;
    }

    private sealed class Fixed(StudioCaller caller) : AuthenticationStateProvider
    {
        private readonly Task<AuthenticationState> _state = Task.FromResult(new AuthenticationState(caller.ToPrincipal()));

        public override Task<AuthenticationState> GetAuthenticationStateAsync() => _state;
    }
}
