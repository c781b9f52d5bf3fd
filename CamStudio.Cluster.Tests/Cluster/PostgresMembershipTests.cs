using System.Text.Json;
using CamStudio.Cluster.Tests.Support;
using CamStudio.Tests.Jobs.Support;
using Npgsql;

namespace CamStudio.Cluster.Tests.Cluster;

/// <summary>
/// <c>CamStudio:Cluster:Mode = postgres</c>: Orleans' membership in PostgreSQL (ADO.NET), its tables created by the
/// members themselves from Orleans' scripts; no Redis given at all.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresMembershipTests(ClusterServices services)
{
    private const int Photos = 12;

    [Fact]
    public async Task TwoWorkersJoinThroughTheMembershipTableInPostgresAndShareAJob()
    {
        using var rig = new ClusterRig(services, "pg", mode: "postgres");
        rig.Settings.Remove("CamStudio:Cluster:Redis");
        Assert.False(await TableExistsAsync(rig.Postgres, "orleansmembershiptable"));
        var studio = await rig.StartStudioAsync();
        using var client = new HttpClient { BaseAddress = studio.Address };
        await rig.StartWorkersAsync(client, "w1", "w2");

        // Both silos are active members in Orleans' table (SiloStatus.Active = 3), each with its gateway port.
        var gateways = rig.Workers.Select(w => w.GatewayPort).ToHashSet();
        await using (var connection = new NpgsqlConnection(rig.Postgres))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT proxyport FROM orleansmembershiptable WHERE deploymentid = @id AND status = 3", connection);
            command.Parameters.AddWithValue("id", rig.Settings["CamStudio:Cluster:ClusterId"]);
            var active = new HashSet<int>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                    active.Add(reader.GetInt32(0));
            }
            Assert.Equal(gateways, active);
        }

        string jobId = await rig.SubmitAsync(client, JobRequests.Photos(Photos, "gradcam"));
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 300);
        Assert.True(job.GetProperty("state").GetString() == "completed", $"{job}\n{rig.Logs}");
        Assert.Equal((Photos, 0), (job.GetProperty("done").GetInt32(), job.GetProperty("failed").GetInt32()));
        for (var until = DateTime.UtcNow.AddSeconds(15); ; await Task.Delay(250))
        {
            Dictionary<string, long> done = await ClusterRig.PhotosDoneAsync(client);
            if (done.Values.Sum() == Photos)
            {
                Assert.All(["w1", "w2"], w => Assert.True(done[w] > 0, $"{w} did no photo: {string.Join(", ", done)}"));
                break;
            }
            Assert.True(DateTime.UtcNow < until, $"The workers did not report {Photos} photos: {string.Join(", ", done)}");
        }
    }

    private static async Task<bool> TableExistsAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT to_regclass(@t) IS NOT NULL", connection);
        command.Parameters.AddWithValue("t", table);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
