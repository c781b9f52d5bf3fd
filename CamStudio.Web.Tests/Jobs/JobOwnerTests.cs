using CamStudio.Web.Access;
using CamStudio.Web.Jobs;
using Microsoft.Data.Sqlite;

namespace CamStudio.Tests.Jobs;

/// <summary>Jobs belong to the session that made them; databases from before owners keep working, their jobs the host's.</summary>
public sealed class JobOwnerTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "camstudio-owner-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public void ADatabaseWithoutOwnersGetsTheColumnAndItsJobsAreTheHosts()
    {
        Directory.CreateDirectory(_data);
        using (var old = new SqliteConnection($"Data Source={Path.Combine(_data, "jobs.db")}"))
        {
            old.Open();
            using var create = old.CreateCommand();
            // The jobs table as it was before owners existed, with one job in it.
            create.CommandText = """
                CREATE TABLE jobs (id TEXT PRIMARY KEY, state TEXT NOT NULL, model TEXT NOT NULL, methods TEXT NOT NULL,
                    classes TEXT NOT NULL, layer TEXT NOT NULL, model_name TEXT, model_sha256 TEXT, total INTEGER NOT NULL,
                    created_utc TEXT NOT NULL, started_utc TEXT, finished_utc TEXT, error TEXT, runs INTEGER NOT NULL DEFAULT 0,
                    skipped TEXT NOT NULL DEFAULT '[]');
                INSERT INTO jobs (id, state, model, methods, classes, layer, total, created_utc)
                VALUES ('0123456789abcdef0123456789abcdef', 'completed', '', '["gradcam"]', 'top1', 'auto', 0, '2026-01-01T00:00:00.0000000Z');
                """;
            create.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        var store = new JobStore(_data);
        store.CreateJob("fedcba9876543210fedcba9876543210", JobSettings.Default, [], [], DateTimeOffset.UtcNow, owner: "s-alice");

        Assert.Equal(StudioCaller.HostSessionId, store.GetJob("0123456789abcdef0123456789abcdef")!.Owner);
        Assert.Equal("s-alice", store.GetJob("fedcba9876543210fedcba9876543210")!.Owner);
        Assert.Equal(["0123456789abcdef0123456789abcdef"], store.ListJobs(ownedBy: StudioCaller.HostSessionId).Select(j => j.Id));
        Assert.Equal(["fedcba9876543210fedcba9876543210"], store.ListJobs(ownedBy: "s-alice").Select(j => j.Id));
        Assert.Equal(2, store.ListJobs().Count);
        Assert.Empty(store.ListJobs(ownedBy: "s-bob"));
        // Opening the migrated database again does not try to add the column twice.
        Assert.Equal(2, new JobStore(_data).ListJobs().Count);
    }

    [Fact]
    public void TheCallerTravelsAsAPrincipalAndOnlyTheHostOrTheOwnerMayAccess()
    {
        var alice = new StudioCaller("s-alice", IsHost: false);
        Assert.Equal(alice, StudioCaller.FromPrincipal(alice.ToPrincipal()));
        Assert.Equal(StudioCaller.Host, StudioCaller.FromPrincipal(StudioCaller.Host.ToPrincipal()));
        Assert.Null(StudioCaller.FromPrincipal(new System.Security.Claims.ClaimsPrincipal()));

        Assert.True(alice.CanAccess("s-alice"));
        Assert.False(alice.CanAccess("s-bob"));
        Assert.False(alice.CanAccess(null)); // the host's
        Assert.True(StudioCaller.Host.CanAccess("s-bob"));
        Assert.True(StudioCaller.Host.CanAccess(null));
    }
}
