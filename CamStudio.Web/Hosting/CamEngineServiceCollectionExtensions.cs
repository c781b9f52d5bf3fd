namespace CamStudio.Web.Hosting;

public static class CamEngineServiceCollectionExtensions
{
    /// <summary>The engine behind <see cref="Services.IStudioEngine"/>: torch thread, model catalog and cache.</summary>
    public static IServiceCollection AddCamEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StudioOptions>().Bind(configuration.GetSection(StudioOptions.SectionName));
        return services;
    }
}
