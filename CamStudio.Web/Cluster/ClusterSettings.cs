namespace CamStudio.Web.Cluster;

/// <summary>
/// Section <c>CamStudio:Cluster</c>. <see cref="Mode"/> single (the default) is today's one process with SQLite and
/// nothing else; redis or postgres put engine work on <c>CamStudio.Worker</c> processes through Orleans, with that
/// store as the cluster's membership table, jobs in PostgreSQL and (when <see cref="Redis"/> is set) SignalR over Redis.
/// </summary>
public sealed class ClusterSettings
{
    public const string SectionName = "CamStudio:Cluster";

    /// <summary>single, redis or postgres.</summary>
    public string Mode { get; set; } = ClusterModes.Single;

    /// <summary>Redis (host:port[,password=…]): Orleans membership in redis mode, and the SignalR backplane whenever set.</summary>
    public string? Redis { get; set; }

    /// <summary>PostgreSQL connection string: jobs when clustered; Orleans membership in postgres mode.</summary>
    public string? Postgres { get; set; }

    /// <summary>Names this cluster in the membership table; every studio and worker of one cluster uses the same.</summary>
    public string ClusterId { get; set; } = "camstudio";

    /// <summary>
    /// The secret every member proves it knows before any Orleans message is read (no default: clustered modes refuse
    /// to start without one). At least 16 characters.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Workers: the silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Workers: the port the studio (an Orleans client) connects to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Workers: the address other machines reach this one on (default: the first non-loopback IPv4 address).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Workers: the name shown in the Workers panel and in job progress (default: host name and port).</summary>
    public string? WorkerName { get; set; }

    /// <summary>Most seconds one batch may take on a worker before it is retried on another.</summary>
    public int BatchTimeoutSeconds { get; set; } = 600;

    /// <summary>Workers: seconds between (and timeout of) the probes silos send each other.</summary>
    public int ProbeTimeoutSeconds { get; set; } = 5;

    /// <summary>Workers: probes a silo may miss in a row before it is declared dead (its batches then go to another worker).</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>Most batches of one job in flight at once (0: two per live worker).</summary>
    public int MaxBatchesInFlight { get; set; }

    public bool IsClustered => !string.Equals(Mode, ClusterModes.Single, StringComparison.OrdinalIgnoreCase);

    /// <summary>What is wrong with these settings for a clustered member, or null. Workers keep no jobs: <paramref name="keepsJobs"/> false.</summary>
    public string? Problem(bool keepsJobs = true)
    {
        if (!IsClustered)
            return null;
        if (!string.Equals(Mode, ClusterModes.Redis, StringComparison.OrdinalIgnoreCase) && !string.Equals(Mode, ClusterModes.Postgres, StringComparison.OrdinalIgnoreCase))
            return $"CamStudio:Cluster:Mode must be single, redis or postgres, not '{Mode}'.";
        if (string.IsNullOrWhiteSpace(Secret) || Secret.Length < 16)
            return "CamStudio:Cluster:Secret must be set (at least 16 characters, the same on the studio and every worker) when CamStudio:Cluster:Mode is " + Mode + ".";
        if (string.Equals(Mode, ClusterModes.Redis, StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(Redis))
            return "CamStudio:Cluster:Redis (host:port) must be set in redis mode.";
        if (string.IsNullOrWhiteSpace(Postgres) && (keepsJobs || string.Equals(Mode, ClusterModes.Postgres, StringComparison.OrdinalIgnoreCase)))
            return "CamStudio:Cluster:Postgres (a connection string) must be set when clustered: jobs are kept in PostgreSQL.";
        return null;
    }
}

public static class ClusterModes
{
    public const string Single = "single";
    public const string Redis = "redis";
    public const string Postgres = "postgres";
}
