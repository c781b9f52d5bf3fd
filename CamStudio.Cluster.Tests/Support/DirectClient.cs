using CamStudio.Web.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime.Placement;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>An Orleans client of a test cluster (configured as the studio's), to call one worker's engine grain directly.</summary>
public sealed class DirectClient : IAsyncDisposable
{
    private readonly IHost _host;

    private DirectClient(IHost host)
    {
        _host = host;
    }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<DirectClient> ConnectAsync(IReadOnlyDictionary<string, string> settings)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings!).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(client => ClusterHosting.ConfigureClient(client, ClusterHosting.SettingsOf(configuration)));
        IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await host.StartAsync(timeout.Token);
        return new DirectClient(host);
    }

    /// <summary>Sends a batch to the named worker's engine (placed on its silo) and returns its answer.</summary>
    public async Task<WorkerBatchResult> ExplainOnAsync(string workerName, WorkerBatch batch)
    {
        IReadOnlyList<WorkerStatus> workers = await Client.GetGrain<IWorkerDirectoryGrain>(0).ListAsync();
        WorkerStatus worker = workers.SingleOrDefault(w => w.Name == workerName)
            ?? throw new InvalidOperationException($"No worker {workerName} in the directory: {string.Join(", ", workers.Select(w => w.Name))}");
        RequestContext.Set(IPlacementDirector.PlacementHintKey, SiloAddress.FromParsableString(worker.Silo));
        try
        {
            return await Client.GetGrain<IEngineWorkerGrain>(Guid.NewGuid().ToString("N")).ExplainAsync(batch).WaitAsync(TimeSpan.FromMinutes(2));
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _host.StopAsync(timeout.Token);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
