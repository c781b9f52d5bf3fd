using CamStudio.Tests.Jobs.Support;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>
/// PostgreSQL and Redis, started once for the whole collection of clustered tests (starting them costs seconds), and
/// <see cref="SharedClusterAsync"/>: two workers that the tests not killing a worker share (a worker costs the most to start).
/// </summary>
public sealed class ClusterServices : IDisposable
{
    private readonly Lazy<RedisServer> _redis = new(() => new RedisServer());
    private readonly Lazy<Task<SharedCluster>> _shared;

    public ClusterServices()
    {
        _shared = new(() => SharedCluster.StartAsync(this));
    }

    public PostgresServer Postgres { get; } = new();

    public RedisServer Redis => _redis.Value;

    /// <summary>The shared redis-mode cluster with workers w1 and w2, started on first use.</summary>
    public Task<SharedCluster> SharedClusterAsync() => _shared.Value;

    public void Dispose()
    {
        if (_shared.IsValueCreated && _shared.Value.IsCompletedSuccessfully)
            _shared.Value.Result.Dispose();
        if (_redis.IsValueCreated)
            _redis.Value.Dispose();
        Postgres.Dispose();
    }
}

/// <summary>
/// Workers w1 and w2 (the test models) in one redis-mode cluster, and a studio node that runs no jobs to watch them.
/// A test runs its jobs on studio nodes of its own (<see cref="ClusterRig.OwnJobs"/>: a jobs database of its own), and
/// stops any extra worker it starts.
/// </summary>
public sealed class SharedCluster : IDisposable
{
    private SharedCluster(ClusterRig rig, WebAppProcess watcher)
    {
        Rig = rig;
        Watcher = new HttpClient { BaseAddress = watcher.Address };
    }

    public static readonly IReadOnlyList<string> WorkerNames = ["w1", "w2"];

    public ClusterRig Rig { get; }

    /// <summary>A studio node of the cluster that runs no jobs: for the workers' list.</summary>
    public HttpClient Watcher { get; }

    public static async Task<SharedCluster> StartAsync(ClusterServices services)
    {
        var rig = new ClusterRig(services, "shared");
        try
        {
            var watcher = await rig.StartStudioAsync(new Dictionary<string, string> { ["CamStudio:Jobs:RunJobs"] = "false" });
            var shared = new SharedCluster(rig, watcher);
            await rig.StartWorkersAsync(shared.Watcher, [.. WorkerNames]);
            return shared;
        }
        catch
        {
            rig.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Watcher.Dispose();
        Rig.Dispose();
    }
}

/// <summary>Tests that need the real services; they run one after another (2 cores, several server processes).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterServices>
{
    public const string Name = "Cluster services";
}
