using System.Text.Json;
using CamStudio.Cluster.Tests.Support;
using CamStudio.Tests.Jobs.Support;

namespace CamStudio.Cluster.Tests.Cluster;

/// <summary>Workers authenticate with the cluster's shared secret: one that does not know it never joins.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterSecretTests(ClusterServices services)
{
    private const int Photos = 6;

    [Fact]
    public async Task AWorkerWithAnotherSecretIsRefusedAndTheJobRunsOnTheWorkersThatKnowIt()
    {
        SharedCluster cluster = await services.SharedClusterAsync();
        ClusterRig rig = cluster.Rig;
        WorkerProcess[] good = [.. rig.Workers.Where(w => SharedCluster.WorkerNames.Contains(w.Name))];
        int[] logged = [.. good.Select(w => w.Output.Length)];
        using WorkerProcess intruder = rig.StartWorker("intruder", settings: new Dictionary<string, string>
        {
            ["CamStudio:Cluster:Secret"] = "not-the-secret-of-this-cluster",
        });

        // The good workers cut off its connections before any Orleans message (it is in the membership table, as
        // anyone with access to Redis can be, but cannot talk to a member).
        const string refusal = "does not know CamStudio:Cluster:Secret";
        for (var until = DateTime.UtcNow + ClusterRig.JoinTimeout; !good.Where((w, i) => w.Output[logged[i]..].Contains(refusal)).Any(); await Task.Delay(250))
            Assert.True(DateTime.UtcNow < until, $"No worker refused the intruder:\n{rig.Logs}");

        // A job meanwhile runs on w1 and w2 only; the intruder is never a healthy worker.
        Dictionary<string, long> before = await ClusterRig.PhotosDoneAsync(cluster.Watcher);
        using (var studio = await rig.StartStudioAsync(rig.OwnJobs()))
        {
            using var client = new HttpClient { BaseAddress = studio.Address };
            string jobId = await rig.SubmitAsync(client, JobRequests.Photos(Photos, "gradcam"));
            JsonElement job;
            do
            {
                await Task.Delay(250);
                Assert.DoesNotContain(await ClusterRig.WorkersAsync(client), w => w.GetProperty("name").GetString() == "intruder");
                job = await JobRequests.GetJobAsync(client, jobId);
            }
            while (job.GetProperty("state").GetString() is "queued" or "running");
            Assert.True(job.GetProperty("state").GetString() == "completed", $"{job}\n{studio.Output}");
            Assert.Equal((Photos, 0), (job.GetProperty("done").GetInt32(), job.GetProperty("failed").GetInt32()));
        }
        for (var until = DateTime.UtcNow.AddSeconds(15); ; await Task.Delay(250))
        {
            Dictionary<string, long> now = await ClusterRig.PhotosDoneAsync(cluster.Watcher);
            if (SharedCluster.WorkerNames.Sum(w => now[w] - before.GetValueOrDefault(w)) == Photos)
                break;
            Assert.True(DateTime.UtcNow < until, $"w1 and w2 did not report the job's {Photos} photos: {string.Join(", ", now)}");
        }
        Assert.DoesNotContain("intruder", (await ClusterRig.PhotosDoneAsync(cluster.Watcher)).Keys);
    }
}
