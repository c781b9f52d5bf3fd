using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Web.Services;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Hosting;

public static class CamEngineServiceCollectionExtensions
{
    /// <summary>
    /// The engine behind <see cref="IStudioEngine"/>: the app's one torch thread (<see cref="TorchExecutor"/>), the
    /// model catalog on the models folder (<c>CAMSTUDIO_MODELS</c>, else <c>CamStudio:ModelsDirectory</c>, else the
    /// per-user folder) and the engine service. TryAdd: batch jobs share the same executor and catalog.
    /// </summary>
    public static IServiceCollection AddCamEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StudioOptions>().Bind(configuration.GetSection(StudioOptions.SectionName));
        services.TryAddSingleton(sp => new TorchExecutor(Math.Max(1, sp.GetRequiredService<IOptions<StudioOptions>>().Value.QueueCapacity)));
        services.TryAddSingleton(_ => new ModelCatalog(ModelsFolder.Resolve(null, configuration[$"{StudioOptions.SectionName}:ModelsDirectory"])));
        services.TryAddSingleton<IStudioEngine, TorchStudioEngine>();
        return services;
    }
}
