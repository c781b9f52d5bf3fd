using CamStudio.Web.Hosting;
using CamStudio.Web.Jobs.Present;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Jobs;

/// <summary>Wiring of batch jobs and presenter mode.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the jobs feature: store, runner, intake, export, hub, the studio's <see cref="CamStudio.Web.Studio.IJobPhotoSource"/>,
    /// the explainer over the shared <see cref="CamStudio.Engine.CamEngine"/> (and, until it has its own feature
    /// registration, the presenter session).
    /// </summary>
    public static IServiceCollection AddCamStudioJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobOptions>()
            .Bind(configuration.GetSection(JobOptions.Section))
            .PostConfigure(o => o.DataDirectory = string.IsNullOrWhiteSpace(o.DataDirectory) || Environment.GetEnvironmentVariable("CAMSTUDIO_DATA") is { Length: > 0 }
                ? JobOptions.ResolveDataDirectory(configuration)
                : Path.GetFullPath(o.DataDirectory))
            .Validate(o => o.BatchSize is >= 1 and <= 256, "CamStudio:Jobs:BatchSize must be between 1 and 256.")
            .Validate(o => o.MaxPhotos >= 1, "CamStudio:Jobs:MaxPhotos must be at least 1.")
            .Validate(o => o.DiskReserveBytes >= 0 && o.MaxCompressionRatio >= 1 && o.MaxSkippedReasons >= 0,
                "CamStudio:Jobs:DiskReserveBytes must not be negative, MaxCompressionRatio at least 1, MaxSkippedReasons not negative.");
        services.TryAddSingleton(sp => new JobStore(sp.GetRequiredService<IOptions<JobOptions>>().Value.DataDirectory));
        services.TryAddSingleton(sp => new JobFiles(sp.GetRequiredService<IOptions<JobOptions>>().Value.DataDirectory));
        services.TryAddSingleton(sp => new PhotoIntake(sp.GetRequiredService<IOptions<JobOptions>>().Value));
        services.TryAddSingleton<IDiskSpace, DriveDiskSpace>();
        services.TryAddSingleton(sp => new JobDisk(sp.GetRequiredService<IDiskSpace>(), sp.GetRequiredService<IOptions<JobOptions>>().Value));
        services.TryAddSingleton<JobQuota>();
        services.TryAddSingleton<JobExporter>();
        services.TryAddSingleton<JobPhotos>();
        services.TryAddSingleton<CamStudio.Web.Studio.IJobPhotoSource>(sp => sp.GetRequiredService<JobPhotos>());
        services.TryAddSingleton<JobSubmitter>();
        services.TryAddSingleton<JobProgressPublisher>();
        services.TryAddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        // The torch thread, the catalog and the loaded models are shared with the studio (same TryAdd registrations).
        services.AddSharedEngineCore(configuration);
        services.TryAddSingleton<IPhotoBatchExplainer, EnginePhotoBatchExplainer>();
        services.TryAddSingleton<PresenterSession>();
        services.AddProblemDetails();
        services.AddHttpContextAccessor();
        services.AddSignalR(o => o.AddFilter<HubFailureFilter>()).AddHubOptions<PresenterHub>(o => o.MaximumReceiveMessageSize = 32 * 1024 * 1024);
        services.AddLogging(logging => logging.AddFilter(HubFailureFilter.DispatcherCategory, LogLevel.Critical));
        return services;
    }

    /// <summary>Maps <c>/api/jobs</c>, <c>/hubs/jobs</c>, <c>/hubs/present</c> and the presenter's image URLs.</summary>
    public static WebApplication MapCamStudioJobs(this WebApplication app)
    {
        app.MapJobsApi();
        app.MapHub<JobsHub>("/hubs/jobs");
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
