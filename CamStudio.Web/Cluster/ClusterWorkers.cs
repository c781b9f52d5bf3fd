using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using Orleans.Messaging;

namespace CamStudio.Web.Cluster;

/// <summary>
/// The workers the studio can send engine work to, for the explainer and the Workers panel. Single mode: this process
/// (one worker). Clustered: the directory's workers that are still live members (their gateway is in the membership
/// table) and reported within <see cref="Stale"/>.
/// </summary>
public sealed class ClusterWorkers(IServiceProvider services, ClusterSettingsView settings, ILogger<ClusterWorkers> logger)
{
    public static readonly TimeSpan Stale = TimeSpan.FromSeconds(10);
    private volatile IReadOnlyList<WorkerStatus> _snapshot = [];

    /// <summary>The workers as last listed (all of them, live or not).</summary>
    public IReadOnlyList<WorkerStatus> Snapshot => _snapshot;

    public int LiveCount { get; private set; } = 1;

    public bool IsClustered => settings.IsClustered;

    /// <summary>Every known worker with whether it is healthy now.</summary>
    public async Task<IReadOnlyList<(WorkerStatus Worker, bool Healthy)>> ListAsync(CancellationToken cancellationToken)
    {
        if (!settings.IsClustered)
            return [(Local(), true)];
        IReadOnlyList<WorkerStatus> all = await DirectoryAsync(cancellationToken);
        HashSet<string> members = await MembersAsync(cancellationToken);
        return [.. all.Select(w => (w, IsHealthy(w, members)))];
    }

    public async Task<IReadOnlyList<WorkerStatus>> LiveAsync(CancellationToken cancellationToken)
    {
        if (!settings.IsClustered)
            return [Local()];
        IReadOnlyList<WorkerStatus> all = await DirectoryAsync(cancellationToken);
        HashSet<string> members = await MembersAsync(cancellationToken);
        var live = all.Where(w => IsHealthy(w, members)).ToList();
        LiveCount = Math.Max(1, live.Count);
        return live;
    }

    /// <summary>False once the worker's silo is no longer an active member (declared dead) of the cluster.</summary>
    public async Task<bool> IsMemberAsync(WorkerStatus worker, CancellationToken cancellationToken) =>
        (await MembersAsync(cancellationToken)).Contains(worker.Gateway);

    private static bool IsHealthy(WorkerStatus w, HashSet<string> members) =>
        members.Contains(w.Gateway) && DateTimeOffset.UtcNow - w.ReportedUtc < Stale;

    private async Task<IReadOnlyList<WorkerStatus>> DirectoryAsync(CancellationToken cancellationToken)
    {
        try
        {
            var grains = services.GetRequiredService<IClusterClient>();
            _snapshot = await grains.GetGrain<IWorkerDirectoryGrain>(0).ListAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The directory's silo may have just died: the last list (checked against live members) will do until it is back.
            logger.LogDebug("The workers' directory did not answer ({Message}); using the last list", ex.Message);
        }
        return _snapshot;
    }

    /// <summary>Host:port of the gateways the membership table lists as active (each worker is one).</summary>
    private async Task<HashSet<string>> MembersAsync(CancellationToken cancellationToken)
    {
        IGatewayListProvider gateways = services.GetRequiredService<IGatewayListProvider>();
        try
        {
            IList<Uri> uris = await gateways.GetGateways().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return [.. uris.Select(u => $"{u.Host}:{u.Port}")];
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Before the client first connects (postgres mode: its provider reads the table only once initialised) or
            // while the membership store is down: no worker counts as a member.
            logger.LogDebug("The cluster's gateways could not be listed ({Message})", ex.Message);
            return [];
        }
    }

    private WorkerStatus Local()
    {
        var catalog = services.GetService<ModelCatalog>();
        IReadOnlyList<WorkerModel> models = catalog is null ? [] : [.. catalog.List().Where(e => e.IsUsable).Select(e => new WorkerModel(e.Name, e.Manifest?.Sha256))];
        WorkerLoad? load = services.GetService<WorkerLoad>();
        return new WorkerStatus($"{Environment.MachineName} (this process)", "local", TorchRuntime.Describe(), load?.Queue ?? 0,
            load?.PhotosPerSecond() ?? 0, load?.PhotosDone ?? 0, models, DateTimeOffset.UtcNow, "local");
    }
}

/// <summary>Whether this studio is clustered (a singleton so the panel and the explainer read one value).</summary>
public sealed record ClusterSettingsView(bool IsClustered);
