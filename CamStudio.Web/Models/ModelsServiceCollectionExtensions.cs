using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CamStudio.Web.Models;

/// <summary>Wiring of the Models page and API.</summary>
public static class ModelsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="ModelUploads"/> with its limits (<c>CamStudio:Models</c>); the engine comes from <c>AddCamEngine</c>.</summary>
    public static IServiceCollection AddCamStudioModels(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ModelUploadOptions>().Bind(configuration.GetSection(ModelUploadOptions.Section))
            .Validate(o => o.MaxModelBytes > 0 && o.MaxLabelsBytes > 0, "CamStudio:Models:MaxModelBytes and MaxLabelsBytes must be positive.");
        services.TryAddSingleton<ModelUploads>();
        return services;
    }

    /// <summary>Maps <c>/api/models</c> (add, remove, default).</summary>
    public static WebApplication MapCamStudioModels(this WebApplication app)
    {
        app.MapModelsApi();
        return app;
    }
}
