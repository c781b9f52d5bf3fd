using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;

namespace CamStudio.Web.Cluster;

/// <summary>
/// Once a second: this worker's status (device, queue, photos per second, models with their SHA-256) to the
/// directory, and the directory's list back into <see cref="WorkerDirectoryView"/> for placement.
/// </summary>
public sealed class WorkerHeartbeat(IGrainFactory grains, ILocalSiloDetails silo, WorkerIdentity identity, WorkerLoad load, ModelCatalog catalog,
    WorkerDirectoryView view, ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string device = TorchRuntime.Describe();
        IReadOnlyList<WorkerModel> models = [];
        DateTime modelsListedUtc = DateTime.MinValue;
        bool failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow - modelsListedUtc > TimeSpan.FromSeconds(30))
                {
                    models = [.. catalog.List().Where(e => e.IsUsable).Select(e => new WorkerModel(e.Name, e.Manifest?.Sha256))];
                    modelsListedUtc = DateTime.UtcNow;
                }
                var directory = grains.GetGrain<IWorkerDirectoryGrain>(0);
                await directory.ReportAsync(new WorkerStatus(identity.Name, silo.SiloAddress.ToParsableString(), device, load.Queue,
                    load.PhotosPerSecond(), load.PhotosDone, models, DateTimeOffset.UtcNow,
                    silo.GatewayAddress is { } gateway ? $"{gateway.Endpoint.Address}:{gateway.Endpoint.Port}" : "")).WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
                view.Update(await directory.ListAsync().WaitAsync(TimeSpan.FromSeconds(5), stoppingToken));
                if (failing)
                    logger.LogInformation("Reporting to the cluster's directory works again");
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (!failing)
                    logger.LogWarning("Could not report to the cluster's directory ({Message}); trying every second", ex.Message);
                failing = true;
            }
            try
            {
                await Task.Delay(Period, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
