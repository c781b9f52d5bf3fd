using CamStudio.Web.Access;
using CamStudio.Web.Api;
using CamStudio.Web.Components;
using CamStudio.Web.Services;
using MudBlazor.Services;

namespace CamStudio.Web.Hosting;

public static class StudioServiceCollectionExtensions
{
    /// <summary>The Blazor studio: components, MudBlazor, the per-circuit session and the problem-details API.</summary>
    public static IServiceCollection AddCamStudioWeb(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StudioOptions>().Bind(configuration.GetSection(StudioOptions.SectionName));
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddProblemDetails();
        services.AddScoped<StudioSession>();
        services.AddScoped<CircuitCaller>();
        return services;
    }

    /// <summary>Static assets, the studio's pages, the HTTP API and <c>/healthz</c>.</summary>
    public static WebApplication MapCamStudio(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
            app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAntiforgery();
        app.MapStaticAssets();
        // Blazor adds its own frame-ancestors policy; it says what SecurityHeaders says (no framing at all).
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = "'none'");
        app.MapStudioApi();
        return app;
    }
}
