namespace CamStudio.Web.Cluster;

/// <summary>
/// The studio's Orleans client when it cannot connect (no worker yet, all gone, the membership tables not there):
/// it keeps trying every two seconds, and in postgres mode first makes sure Orleans' tables exist (a studio may be the
/// first member up). Jobs wait with a clear reason meanwhile.
/// </summary>
public sealed class ClusterConnectionRetry(OrleansPostgresSchema? schema, ILogger<ClusterConnectionRetry> logger) : IClientConnectionRetryFilter
{
    private bool _tablesReady;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (schema is not null && !_tablesReady)
        {
            try
            {
                await schema.EnsureAsync(cancellationToken);
                _tablesReady = true;
            }
            catch (InvalidOperationException ex)
            {
                logger.LogWarning("{Message}", ex.Message);
            }
        }
        logger.LogDebug("Not connected to the cluster yet ({Message}); trying again", exception.Message);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        return true;
    }
}
