using CamStudio.Engine;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Hosting;

public static class CamEngineServiceCollectionExtensions
{
    /// <summary>
    /// The engine: the shared engine core (<see cref="AddSharedEngineCore"/>); the studio's view of it is registered by
    /// <c>AddCamStudioWeb</c>.
    /// </summary>
    public static IServiceCollection AddCamEngine(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSharedEngineCore(configuration);
        return services;
    }

    /// <summary>
    /// What the studio and batch jobs share, registered by both with TryAdd (the same registrations, whichever runs
    /// first): the app's one torch thread (<see cref="TorchExecutor"/>, queue of <c>CamStudio:QueueCapacity</c>), the
    /// model catalog on the models folder (<c>CAMSTUDIO_MODELS</c>, else <c>CamStudio:ModelsDirectory</c>, else the
    /// per-user folder), the one cache of loaded models (<see cref="LoadedModels"/>) and the one <see cref="CamEngine"/>
    /// over them (default model: <c>CamStudio:DefaultModel</c>) that every front end asks.
    /// </summary>
    internal static IServiceCollection AddSharedEngineCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StudioOptions>().Bind(configuration.GetSection(StudioOptions.SectionName));
        services.TryAddSingleton(sp => new TorchExecutor(Math.Max(1, sp.GetRequiredService<IOptions<StudioOptions>>().Value.QueueCapacity)));
        services.TryAddSingleton(_ => new ModelCatalog(ModelsFolder.Resolve(null, configuration[$"{StudioOptions.SectionName}:ModelsDirectory"])));
        services.TryAddSingleton(sp =>
        {
            ILogger logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<LoadedModels>();
            return new LoadedModels(sp.GetRequiredService<TorchExecutor>(), sp.GetRequiredService<ModelCatalog>(), (loaded, took) =>
                logger.LogInformation("Loaded model {Model} ({Layers} layers, auto layer {Auto}) in {Ms} ms on {Device}",
                    loaded.Name, loaded.Model.Layers.Count, loaded.Model.AutoLayer, (long)took.TotalMilliseconds, TorchRuntime.Describe(loaded.Model.Device)));
        });
        services.TryAddSingleton(sp => new CamEngine(sp.GetRequiredService<TorchExecutor>(), sp.GetRequiredService<LoadedModels>(),
            sp.GetRequiredService<IOptions<StudioOptions>>().Value.DefaultModel));
        return services;
    }
}
