using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CamStudio.Web.Presenter;

/// <summary>Wiring of presenter mode: one presenting session shown to every follower on <c>/present</c>.</summary>
public static class PresenterServiceCollectionExtensions
{
    /// <summary>Registers the presenter session and its hub (overlays travel as messages, so the hub takes large ones).</summary>
    public static IServiceCollection AddCamStudioPresenter(this IServiceCollection services)
    {
        services.TryAddSingleton<PresenterSession>();
        services.AddSignalR().AddHubOptions<PresenterHub>(o => o.MaximumReceiveMessageSize = 32 * 1024 * 1024);
        return services;
    }

    /// <summary>Maps <c>/hubs/present</c> and the presenter's image URLs.</summary>
    public static WebApplication MapCamStudioPresenter(this WebApplication app)
    {
        app.MapHub<PresenterHub>("/hubs/present");
        app.MapGet("/present/images/{version:long}/{name}", (long version, string name, PresenterSession session) =>
            session.Image(version, name) is { } bytes
                ? Results.File(bytes, ImageType(bytes))
                : Results.Problem(title: "Image gone", detail: $"Presenter image {name} of version {version} is no longer shown.", statusCode: StatusCodes.Status404NotFound));
        return app;
    }

    private static string ImageType(byte[] bytes) =>
        bytes.Length > 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 ? "image/jpeg" : "image/png";
}
