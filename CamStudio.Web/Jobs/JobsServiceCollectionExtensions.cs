using CamStudio.Web.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Jobs;

/// <summary>Wiring of batch jobs.</summary>
public static class JobsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the jobs feature: store, runner, intake, export, hub, the studio's <see cref="CamStudio.Web.Studio.IJobPhotoSource"/>
    /// and the explainer over the shared <see cref="CamStudio.Engine.CamEngine"/>.
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
        // SQLite on one machine; a cluster replaces it with PostgreSQL (AddCamStudioCluster).
        services.TryAddSingleton<IJobStore>(sp => sp.GetRequiredService<JobStore>());
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
        services.AddProblemDetails();
        services.AddHttpContextAccessor();
        services.AddSignalR(o => o.AddFilter<HubFailureFilter>());
        services.AddLogging(logging => logging.AddFilter(HubFailureFilter.DispatcherCategory, LogLevel.Critical));
        return services;
    }

    /// <summary>Maps <c>/api/jobs</c> and <c>/hubs/jobs</c>.</summary>
    public static WebApplication MapCamStudioJobs(this WebApplication app)
    {
        app.MapJobsApi();
        app.MapHub<JobsHub>("/hubs/jobs");
        return app;
    }
}
