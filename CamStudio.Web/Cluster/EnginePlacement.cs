using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace CamStudio.Web.Cluster;

/// <summary>Engine work goes only to silos with an engine, the least loaded first (<see cref="EnginePlacementDirector"/>).</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class EnginePlacementStrategy : PlacementStrategy
{
    public static EnginePlacementStrategy Instance { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class EnginePlacementAttribute() : PlacementAttribute(EnginePlacementStrategy.Instance);

/// <summary>
/// Places an engine activation: on the silo the studio asked for (a placement hint: it counts its own batches in flight
/// per worker) when that silo is compatible, else on the compatible silo with the shortest reported queue. Compatible
/// silos are those that host the grain type, i.e. the workers: the studio is an Orleans client and hosts no grain.
/// </summary>
public sealed class EnginePlacementDirector(WorkerDirectoryView view) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        SiloAddress[] silos = context.GetCompatibleSilos(target);
        if (silos.Length == 0)
            throw new OrleansException("No silo with an engine is in the cluster: start a CamStudio.Worker.");
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, silos) is { } hint)
            return Task.FromResult(hint);
        IReadOnlyDictionary<string, int> queues = view.Queues;
        SiloAddress best = silos.OrderBy(s => queues.TryGetValue(s.ToParsableString(), out int q) ? q : 0).ThenBy(_ => Random.Shared.Next()).First();
        return Task.FromResult(best);
    }
}

/// <summary>A worker silo's latest copy of the directory (refreshed by <see cref="WorkerHeartbeat"/>), for placement.</summary>
public sealed class WorkerDirectoryView
{
    private volatile IReadOnlyDictionary<string, int> _queues = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, int> Queues => _queues;

    public void Update(IReadOnlyList<WorkerStatus> workers) => _queues = workers.ToDictionary(w => w.Silo, w => w.Queue);
}
