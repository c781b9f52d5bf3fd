using System.Net;
using System.Net.Sockets;
using CamStudio.Web.Hosting;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using StackExchange.Redis;

namespace CamStudio.Web.Cluster;

/// <summary>
/// Wiring of <c>CamStudio:Cluster</c>: the studio (<see cref="AddCamStudioCluster"/>, an Orleans client in clustered
/// modes) and the worker (<see cref="AddCamStudioWorker"/>, an Orleans silo with an engine).
/// </summary>
public static class ClusterHosting
{
    /// <summary>The Orleans service id of every CamStudio cluster (the cluster id tells clusters apart).</summary>
    public const string ServiceId = "camstudio";

    public static ClusterSettings SettingsOf(IConfiguration configuration) =>
        configuration.GetSection(ClusterSettings.SectionName).Get<ClusterSettings>() ?? new ClusterSettings();

    /// <summary>
    /// Single mode (the default): the Workers panel's one worker, nothing else changes. Clustered: jobs in PostgreSQL,
    /// batches to workers through Orleans, SignalR over Redis when <c>CamStudio:Cluster:Redis</c> is set. Settings that
    /// cannot work throw <see cref="StartupRefusedException"/> saying which.
    /// </summary>
    public static WebApplicationBuilder AddCamStudioCluster(this WebApplicationBuilder builder)
    {
        ClusterSettings settings = SettingsOf(builder.Configuration);
        builder.Services.AddOptions<ClusterSettings>().Bind(builder.Configuration.GetSection(ClusterSettings.SectionName));
        builder.Services.TryAddSingleton(new ClusterSettingsView(settings.IsClustered));
        builder.Services.TryAddSingleton<ClusterWorkers>();
        if (!settings.IsClustered)
        {
            // The one worker of the panel is this process: its batches are counted like a worker's.
            builder.Services.TryAddSingleton<WorkerLoad>();
            builder.Services.TryAddSingleton<EnginePhotoBatchExplainer>();
            builder.Services.Replace(ServiceDescriptor.Singleton<IPhotoBatchExplainer, CountedBatchExplainer>());
            return builder;
        }
        if (settings.Problem() is { } problem)
            throw new StartupRefusedException(problem);
        builder.Services.Replace(ServiceDescriptor.Singleton<IJobStore>(_ => new PostgresJobStore(settings.Postgres!)));
        builder.Services.Replace(ServiceDescriptor.Singleton<IPhotoBatchExplainer, ClusterBatchExplainer>());
        if (!string.IsNullOrWhiteSpace(settings.Redis))
        {
            builder.Services.AddSignalR().AddStackExchangeRedis(settings.Redis, o =>
                o.Configuration.ChannelPrefix = RedisChannel.Literal($"camstudio-{settings.ClusterId}"));
        }
        // The studio serves pages while the Orleans client waits for a first worker (a studio without workers still opens).
        builder.Services.Configure<HostOptions>(o =>
        {
            o.ServicesStartConcurrently = true;
            o.ServicesStopConcurrently = true;
        });
        builder.UseOrleansClient(client => ConfigureClient(client, settings));
        return builder;
    }

    /// <summary>An Orleans client of the cluster the settings name (the studio's; tests use it to call a worker directly).</summary>
    public static IClientBuilder ConfigureClient(IClientBuilder client, ClusterSettings settings)
    {
        bool postgres = !string.Equals(settings.Mode, ClusterModes.Redis, StringComparison.OrdinalIgnoreCase);
        client.Services.AddSingleton<IClientConnectionRetryFilter>(sp => new ClusterConnectionRetry(
            postgres ? new OrleansPostgresSchema(settings.Postgres!, sp.GetRequiredService<ILogger<OrleansPostgresSchema>>()) : null,
            sp.GetRequiredService<ILogger<ClusterConnectionRetry>>()));
        if (postgres)
            client.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = settings.Postgres; });
        else
            client.UseRedisClustering(settings.Redis!);
        client.Configure<ClusterOptions>(o => { o.ClusterId = settings.ClusterId; o.ServiceId = ServiceId; });
        // The studio's own liveness check notices a dead worker sooner; this is the last resort for a hung call.
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(Math.Max(10, settings.BatchTimeoutSeconds) + 30));
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        client.Services.AddSingleton<IConfigureOptions<ClientConnectionOptions>>(sp => new ConfigureOptions<ClientConnectionOptions>(o =>
        {
            var handshake = new SharedSecretHandshake(settings.Secret!, sp.GetRequiredService<ILoggerFactory>().CreateLogger<SharedSecretHandshake>());
            o.ConfigureConnection(c => c.Use(handshake.Wrap));
        }));
        return client;
    }

    /// <summary><c>GET /api/workers</c>: the workers, their device, queue, photos per second, models and health (one in single mode).</summary>
    public static WebApplication MapCamStudioCluster(this WebApplication app)
    {
        app.MapGet("/api/workers", async (ClusterWorkers workers, CancellationToken cancellationToken) =>
            Results.Ok(Summaries(await workers.ListAsync(cancellationToken))));
        return app;
    }

    public static IReadOnlyList<WorkerSummary> Summaries(IReadOnlyList<(WorkerStatus Worker, bool Healthy)> workers) =>
        [.. workers.Select(w => new WorkerSummary(w.Worker.Name, w.Worker.Device, w.Worker.Queue, Math.Round(w.Worker.PhotosPerSecond, 2),
            w.Worker.PhotosDone, w.Healthy, w.Worker.ReportedUtc,
            [.. w.Worker.Models.Select(m => $"{m.Name} ({(m.Sha256 is { Length: > 12 } sha ? sha[..12] : m.Sha256 ?? "no sha")})")]))];

    /// <summary>A worker as the API and the Workers panel show it.</summary>
    public sealed record WorkerSummary(string Name, string Device, int Queue, double PhotosPerSecond, long PhotosDone, bool Healthy,
        DateTimeOffset ReportedUtc, IReadOnlyList<string> Models);

    /// <summary>A worker: the shared engine core on this machine's device and an Orleans silo hosting it (<see cref="EngineWorkerGrain"/>).</summary>
    public static IHostApplicationBuilder AddCamStudioWorker(this IHostApplicationBuilder builder)
    {
        ClusterSettings settings = SettingsOf(builder.Configuration);
        if (!settings.IsClustered)
            throw new StartupRefusedException("A worker joins a cluster: set CamStudio:Cluster:Mode to redis or postgres (and its Redis/Postgres, Secret).");
        if (settings.Problem(keepsJobs: false) is { } problem)
            throw new StartupRefusedException(problem);
        IPAddress advertised = string.IsNullOrWhiteSpace(settings.AdvertisedAddress) ? FirstAddress() : IPAddress.Parse(settings.AdvertisedAddress);
        string name = string.IsNullOrWhiteSpace(settings.WorkerName) ? $"{Environment.MachineName}:{settings.GatewayPort}" : settings.WorkerName.Trim();

        builder.Services.AddSharedEngineCore(builder.Configuration);
        builder.Services.AddOptions<JobOptions>().Bind(builder.Configuration.GetSection(JobOptions.Section));
        builder.Services.AddSingleton<EnginePhotoBatchExplainer>();
        builder.Services.AddSingleton(new WorkerIdentity(name));
        builder.Services.AddSingleton<WorkerLoad>();
        builder.Services.AddSingleton<WorkerDirectoryView>();
        builder.Services.AddHostedService<WorkerHeartbeat>();
        builder.UseOrleans(silo =>
        {
            if (string.Equals(settings.Mode, ClusterModes.Redis, StringComparison.OrdinalIgnoreCase))
                silo.UseRedisClustering(settings.Redis!);
            else
            {
                silo.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = settings.Postgres; });
                silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp =>
                    new OrleansPostgresSchema(settings.Postgres!, sp.GetRequiredService<ILogger<OrleansPostgresSchema>>()));
            }
            silo.Configure<ClusterOptions>(o => { o.ClusterId = settings.ClusterId; o.ServiceId = ServiceId; });
            silo.ConfigureEndpoints(advertised, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: true);
            // A killed worker is declared dead in about 15 s (not the default minute), so its batches move on quickly;
            // not faster: a worker loading its engine on a busy machine answers probes late, and must not be voted out.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(Math.Max(1, settings.ProbeTimeoutSeconds));
                o.NumMissedProbesLimit = Math.Max(1, settings.MissedProbesLimit);
                o.NumVotesForDeathDeclaration = 1;
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(30);
            });
            silo.Services.AddPlacementDirector<EnginePlacementStrategy, EnginePlacementDirector>();
            silo.Services.AddSingleton<IConfigureOptions<SiloConnectionOptions>>(sp => new ConfigureOptions<SiloConnectionOptions>(o =>
            {
                var handshake = new SharedSecretHandshake(settings.Secret!, sp.GetRequiredService<ILoggerFactory>().CreateLogger<SharedSecretHandshake>());
                o.ConfigureSiloInboundConnection(c => c.Use(handshake.Wrap));
                o.ConfigureSiloOutboundConnection(c => c.Use(handshake.Wrap));
                o.ConfigureGatewayInboundConnection(c => c.Use(handshake.Wrap));
            }));
        });
        return builder;
    }

    private static IPAddress FirstAddress() =>
        Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
        ?? IPAddress.Loopback;
}
