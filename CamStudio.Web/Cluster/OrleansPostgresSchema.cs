using Npgsql;

namespace CamStudio.Web.Cluster;

/// <summary>
/// Postgres mode: Orleans' ADO.NET membership reads and writes tables (and the queries it runs, in OrleansQuery) that
/// the Microsoft.Orleans.Clustering.AdoNet package does not create. Before a worker's silo starts (and when the
/// studio's client cannot read the gateway list), this creates them from the scripts the Orleans project publishes for
/// that (<c>Cluster/OrleansSql</c>, run unchanged), once per database: an advisory lock keeps members that start
/// together from racing.
/// </summary>
public sealed class OrleansPostgresSchema(string connectionString, ILogger<OrleansPostgresSchema> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const long LockKey = 715016;
    private static readonly TimeSpan RetryFor = TimeSpan.FromMinutes(2);

    public void Participate(ISiloLifecycle lifecycle) => lifecycle.Subscribe(nameof(OrleansPostgresSchema), ServiceLifecycleStage.First, EnsureAsync);

    /// <summary>Creates the membership tables if missing; retries a database that is not up yet, then fails saying which.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        DateTime giveUp = DateTime.UtcNow + RetryFor;
        while (true)
        {
            try
            {
                if (await CreateMissingAsync(cancellationToken))
                    logger.LogInformation("Created Orleans' membership tables in PostgreSQL (postgres mode)");
                return;
            }
            catch (NpgsqlException ex) when (DateTime.UtcNow < giveUp && ex.IsTransient)
            {
                logger.LogWarning("PostgreSQL is not reachable for the cluster's membership yet ({Message}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (NpgsqlException ex)
            {
                var where = new NpgsqlConnectionStringBuilder(connectionString);
                throw new InvalidOperationException(
                    $"The cluster's membership tables in PostgreSQL database '{where.Database}' on {where.Host}:{where.Port} could not be created or read ({ex.Message}). Check CamStudio:Cluster:Postgres.", ex);
            }
        }
    }

    /// <summary>True when it created the tables, false when they were there.</summary>
    private async Task<bool> CreateMissingAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            bool hasQueries = await ExistsAsync(connection, "orleansquery", cancellationToken);
            bool hasMembership = await ExistsAsync(connection, "orleansmembershiptable", cancellationToken);
            if (hasQueries && hasMembership)
                return false;
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (!hasQueries)
                await ExecuteAsync(connection, Script("PostgreSQL-Main.sql"), cancellationToken);
            if (!hasMembership)
                await ExecuteAsync(connection, Script("PostgreSQL-Clustering.sql"), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection);
        command.Parameters.AddWithValue("table", table);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Script(string name)
    {
        using Stream stream = typeof(OrleansPostgresSchema).Assembly.GetManifestResourceStream($"CamStudio.OrleansSql.{name}")
            ?? throw new InvalidOperationException($"The Orleans script {name} is not embedded in {typeof(OrleansPostgresSchema).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
