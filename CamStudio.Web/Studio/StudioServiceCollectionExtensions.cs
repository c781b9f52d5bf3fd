using CamStudio.Web.Access;
using CamStudio.Web.Components;
using CamStudio.Web.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;

namespace CamStudio.Web.Studio;

public static class StudioServiceCollectionExtensions
{
    /// <summary>The Blazor studio: components, MudBlazor, the per-circuit session and the problem-details API.</summary>
    public static IServiceCollection AddCamStudioWeb(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StudioOptions>().Bind(configuration.GetSection(StudioOptions.SectionName));
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddProblemDetails();
        // The studio's view of the one CamEngine, and its picture work.
        services.TryAddSingleton<IStudioEngine, CamEngineStudioEngine>();
        services.TryAddSingleton<StudioPictures>();
        services.AddStudioSession();
        services.AddScoped<CircuitCaller>();
        // IJobPhotoSource is the jobs feature's (AddCamStudioJobs); without jobs the studio's job links open nothing.
        return services;
    }

    /// <summary>The per-circuit <see cref="StudioSession"/>, whose engine work is owned by the circuit's session id.</summary>
    public static IServiceCollection AddStudioSession(this IServiceCollection services) =>
        services.AddScoped(sp => new StudioSession(sp.GetRequiredService<IStudioEngine>(), sp.GetRequiredService<StudioPictures>(),
            () => sp.GetRequiredService<CircuitCaller>().Value.SessionId, sp.GetRequiredService<ILogger<StudioSession>>()));

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
        app.MapStudioMetricsApi();
        return app;
    }
}
