namespace CamStudio.Cluster.Tests.Support;

/// <summary>PostgreSQL and Redis, started once for the whole collection of clustered tests (starting them costs seconds).</summary>
public sealed class ClusterServices : IDisposable
{
    private readonly Lazy<RedisServer> _redis = new(() => new RedisServer());

    public PostgresServer Postgres { get; } = new();

    public RedisServer Redis => _redis.Value;

    public void Dispose()
    {
        if (_redis.IsValueCreated)
            _redis.Value.Dispose();
        Postgres.Dispose();
    }
}

/// <summary>Tests that need the real services; they run one after another (2 cores, several server processes).</summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterServices>
{
    public const string Name = "Cluster services";
}
