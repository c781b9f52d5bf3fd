using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using System.Text.Json;
using CamStudio.Cluster.Tests.Support;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace CamStudio.Cluster.Tests.Cluster;

/// <summary>
/// Two worker processes and studio nodes on loopback, with the test run's Redis (membership, SignalR) and PostgreSQL
/// (jobs). The reference is the same job run by today's single process (SQLite, in-process engine).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterJobTests(ClusterServices services, ITestOutputHelper log)
{
    private const int Photos = 40;

    [Fact]
    public async Task AJobSplitsAcrossTwoWorkersEqualsTheSingleProcessRunAndBothWebNodesSeeEveryMessage()
    {
        SharedCluster cluster = await services.SharedClusterAsync();
        ClusterRig rig = cluster.Rig;
        // Two web nodes that do not run jobs take the job and its followers; a third, started after they follow, runs it.
        Dictionary<string, string> jobs = rig.OwnJobs();
        var noJobs = new Dictionary<string, string>(jobs) { ["CamStudio:Jobs:RunJobs"] = "false" };
        using var nodeA = await rig.StartStudioAsync(noJobs);
        using var nodeB = await rig.StartStudioAsync(noJobs);
        using var clientA = new HttpClient { BaseAddress = nodeA.Address };
        using var clientB = new HttpClient { BaseAddress = nodeB.Address };
        Dictionary<string, long> before = await ClusterRig.PhotosDoneAsync(cluster.Watcher);
        string jobId = await rig.SubmitAsync(clientA, JobRequests.Photos(Photos, "gradcam"));

        var seenA = new ConcurrentQueue<JobProgress>();
        var seenB = new ConcurrentQueue<JobProgress>();
        await using HubConnection followerA = await FollowAsync(nodeA.Address, jobId, seenA);
        await using HubConnection followerB = await FollowAsync(nodeB.Address, jobId, seenB);
        using var runner = await rig.StartStudioAsync(jobs);
        JsonElement job = await WaitForEndAsync(rig, clientB, jobId, seconds: 300);
        Assert.True(job.GetProperty("state").GetString() == "completed", $"{job}\n{rig.Logs}");
        Assert.Equal((Photos, 0), (job.GetProperty("done").GetInt32(), job.GetProperty("failed").GetInt32()));

        // Each worker explained some photos of this job, together all of them (as they report, once a second; the
        // shared workers' counts are since they started, so this job's are the difference).
        Dictionary<string, long> done = [];
        for (var until = DateTime.UtcNow.AddSeconds(15); done.Values.Sum() != Photos && DateTime.UtcNow < until; await Task.Delay(250))
        {
            done = (await ClusterRig.PhotosDoneAsync(clientA)).Select(w => (w.Key, Photos: w.Value - before.GetValueOrDefault(w.Key)))
                .Where(w => w.Photos != 0).ToDictionary(w => w.Key, w => w.Photos);
        }
        log.WriteLine($"photos per worker: {string.Join(", ", done.Select(d => $"{d.Key}={d.Value}"))}");
        Assert.Equal(["w1", "w2"], done.Keys.Order());
        Assert.All(done.Values, n => Assert.True(n > 0, $"A worker did no photo: {string.Join(", ", done)}"));
        Assert.Equal(Photos, done.Values.Sum());

        // Both followers, on different web nodes, got every photo's message once (through the Redis backplane), with its worker.
        await WaitUntilAsync(() => seenA.Any(IsFinal) && seenB.Any(IsFinal), "the final message on both nodes");
        foreach (var seen in new[] { seenA, seenB })
        {
            var photoMessages = seen.Where(m => m.Photo is not null).ToList();
            Assert.Equal(Enumerable.Range(0, Photos), photoMessages.Select(m => m.Photo!.Value).Order());
            Assert.All(photoMessages, m => Assert.Contains(m.Worker, new[] { "w1", "w2" }));
            Assert.Equal(done["w1"], photoMessages.Count(m => m.Worker == "w1"));
        }
        Assert.Equal(seenA.Where(m => m.Photo is not null).Select(m => (m.Photo, m.Worker, m.Top1Index)),
            seenB.Where(m => m.Photo is not null).Select(m => (m.Photo, m.Worker, m.Top1Index)));

        // The job's results say which worker did each photo (the API's rows and the results page), as its progress did.
        JsonElement results = await clientA.GetFromJsonAsync<JsonElement>($"api/jobs/{jobId}/results");
        var workerOf = results.GetProperty("photos").EnumerateArray().ToDictionary(p => p.GetProperty("index").GetInt32(), p => p.GetProperty("worker").GetString());
        Assert.Equal(seenA.Where(m => m.Photo is not null).ToDictionary(m => m.Photo!.Value, m => m.Worker), workerOf);
        string page = await clientA.GetStringAsync($"jobs/{jobId}");
        Assert.Equal(done["w1"], Regex.Count(page, "data-photo-worker=\"w1\""));
        Assert.Equal(done["w2"], Regex.Count(page, "data-photo-worker=\"w2\""));

        // The same job on today's single process: the maps byte for byte, results.csv row for row.
        JobExport clustered = await JobExport.DownloadAsync(clientA, jobId);
        JobExport single = await SingleProcessRunAsync();
        Assert.Equal(2 * Photos, single.Maps.Count); // a normalised and a raw map per photo (gradcam, top1)
        Assert.Equal(single.Maps.Keys.Order(), clustered.Maps.Keys.Order());
        foreach (var (name, bytes) in single.Maps)
            Assert.True(bytes.AsSpan().SequenceEqual(clustered.Maps[name]), $"{name} differs between the single process and the cluster");
        Assert.Equal(Photos + 1, single.ResultRows.Count); // header + one row per photo × class × method
        Assert.Equal(single.ResultRows, clustered.ResultRows);
    }

    [Fact]
    public async Task AWorkerKilledMidJobLeavesTheJobToTheOthersWithNoPhotoLostOrWrittenTwice()
    {
        SharedCluster cluster = await services.SharedClusterAsync();
        ClusterRig rig = cluster.Rig;
        using WorkerProcess victim = await rig.StartHealthyWorkerAsync(cluster.Watcher, "victim");
        Dictionary<string, string> jobs = rig.OwnJobs();
        using var studio = await rig.StartStudioAsync(jobs);
        using var client = new HttpClient { BaseAddress = studio.Address };
        string jobId = await rig.SubmitAsync(client, JobRequests.Photos(Photos, "gradcam"));

        // Kill the victim (SIGKILL) once it has explained some photos and the job is far from done.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        long victimDone = 0;
        while (true)
        {
            var workers = await ClusterRig.WorkersAsync(client);
            victimDone = workers.Where(w => w.GetProperty("name").GetString() == "victim").Select(w => w.GetProperty("photosDone").GetInt64()).FirstOrDefault();
            JsonElement progress = await JobRequests.GetJobAsync(client, jobId);
            int finished = progress.GetProperty("done").GetInt32() + progress.GetProperty("failed").GetInt32();
            if (victimDone >= 2)
            {
                Assert.True(finished < Photos - 8, $"The job was nearly done ({finished}) before the victim could be killed; make it longer.");
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"The victim did no photo in time:\n{rig.Logs}");
            await Task.Delay(50);
        }
        victim.KillHard();
        log.WriteLine($"killed the victim after it explained {victimDone} photos");

        JsonElement job = await WaitForEndAsync(rig, client, jobId, seconds: 300);
        Assert.True(job.GetProperty("state").GetString() == "completed", $"{job}\n{rig.Logs}");
        Assert.Equal((Photos, 0, 1), (job.GetProperty("done").GetInt32(), job.GetProperty("failed").GetInt32(), job.GetProperty("runs").GetInt32()));

        // The job store (PostgreSQL) has each photo once: one result row each, all of this one run.
        using var store = new PostgresJobStore(jobs["CamStudio:Cluster:Postgres"]);
        IReadOnlyList<JobPhoto> photos = store.ListPhotos(jobId);
        Assert.Equal(Photos, photos.Count);
        Assert.All(photos, p => Assert.Equal(PhotoState.Done, p.State));
        Assert.Equal(Photos, photos.Select(p => p.ResultId).Distinct().Count());
        Assert.All(photos, p => Assert.Equal(1, p.ComputedInRun));
        // w1 and w2 did everything the victim did not finish and hand back; the studio moved at least one batch.
        var survivors = await ClusterRig.WorkersAsync(client);
        Assert.All(SharedCluster.WorkerNames, name => Assert.True(survivors.Single(w => w.GetProperty("name").GetString() == name).GetProperty("healthy").GetBoolean()));
        Assert.DoesNotContain(survivors, w => w.GetProperty("name").GetString() == "victim" && w.GetProperty("healthy").GetBoolean());
        // The victim had batches in flight when it died (two per worker are in flight): the studio moved them on.
        Assert.Contains("failed on worker victim (worker victim left the cluster); it goes to another worker", studio.Output);
        log.WriteLine(studio.Output);
    }

    [Fact]
    public async Task ASlowMethodsForwardPassesOnAWorkerReachTheBrowserAsTheyHappen()
    {
        SharedCluster cluster = await services.SharedClusterAsync();
        ClusterRig rig = cluster.Rig;
        Dictionary<string, string> jobs = rig.OwnJobs();
        using var node = await rig.StartStudioAsync(new Dictionary<string, string>(jobs) { ["CamStudio:Jobs:RunJobs"] = "false" });
        using var client = new HttpClient { BaseAddress = node.Address };
        string jobId = await rig.SubmitAsync(client, JobRequests.Photos(1, "scorecam-fast"));
        var seen = new ConcurrentQueue<JobProgress>();
        await using HubConnection follower = await FollowAsync(node.Address, jobId, seen);
        using var runner = await rig.StartStudioAsync(jobs);
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 300);
        Assert.True(job.GetProperty("state").GetString() == "completed", $"{job}\n{rig.Logs}");
        await WaitUntilAsync(() => seen.Any(IsFinal), "the final message");

        // Faster Score-CAM's masked forwards were reported while the worker ran them: part-way counts before the photo's message.
        List<JobProgress> messages = [.. seen];
        int photoMessage = messages.FindIndex(m => m.Photo == 0);
        Assert.True(photoMessage > 0, $"No photo message: {string.Join("; ", messages)}");
        List<JobProgress> forwards = [.. messages.Take(photoMessage).Where(m => m.DoneForwards is not null)];
        Assert.NotEmpty(forwards);
        long total = forwards[0].TotalForwards!.Value;
        Assert.True(total > 1, $"Faster Score-CAM needs a forward per scored channel, not {total}");
        Assert.All(forwards, m => Assert.Equal(total, m.TotalForwards));
        Assert.Contains(forwards, m => m.DoneForwards > 0 && m.DoneForwards < total);
        Assert.Contains(messages[photoMessage].Worker, SharedCluster.WorkerNames);
    }

    [Fact]
    public async Task JobsSubmittedRightAfterAWorkerDiesArePlannedAndRunByTheOthers()
    {
        SharedCluster cluster = await services.SharedClusterAsync();
        ClusterRig rig = cluster.Rig;
        using WorkerProcess doomed = await rig.StartHealthyWorkerAsync(cluster.Watcher, "doomed");
        using var studio = await rig.StartStudioAsync(rig.OwnJobs());
        using var client = new HttpClient { BaseAddress = studio.Address };
        await rig.WaitForWorkerAsync(client, "doomed");

        // Until the membership declares it dead (missed probes: seconds), the studio still lists the dead worker and
        // calls through its silo fail: each job's plan must go to another worker instead of failing the upload.
        doomed.KillHard();
        var jobIds = new List<string>();
        for (int i = 0; i < 6; i++)
            jobIds.Add(await rig.SubmitAsync(client, JobRequests.Photos(1, "gradcam")));
        foreach (string jobId in jobIds)
        {
            JsonElement job = await WaitForEndAsync(rig, client, jobId, seconds: 180);
            Assert.True(job.GetProperty("state").GetString() == "completed", $"{job}\n{rig.Logs}");
        }
    }

    private static async Task<JsonElement> WaitForEndAsync(ClusterRig rig, HttpClient client, string jobId, int seconds)
    {
        try
        {
            return await JobRequests.WaitForEndAsync(client, jobId, seconds);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\n{rig.Logs}", ex);
        }
    }

    private static bool IsFinal(JobProgress m) => m.State is "completed" or "failed" or "cancelled";

    private async Task<JobExport> SingleProcessRunAsync()
    {
        string data = Path.Combine(Path.GetTempPath(), "camstudio-cluster-tests", "single-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var single = await WebAppProcess.StartAsync(data, TestModels.Directory, new Dictionary<string, string> { ["CamStudio:Jobs:BatchSize"] = "2" });
            using var client = new HttpClient { BaseAddress = single.Address };
            string jobId = await JobRequests.SubmitAsync(client, JobRequests.Photos(Photos, "gradcam"));
            // One process does all 40 photos: on a 2-core machine under a load of 90 it took over 5 min.
            JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 600);
            Assert.Equal("completed", job.GetProperty("state").GetString());
            return await JobExport.DownloadAsync(client, jobId);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<HubConnection> FollowAsync(Uri node, string jobId, ConcurrentQueue<JobProgress> seen)
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(node, "hubs/jobs")).Build();
        connection.On<JobProgress>(JobProgressPublisher.MessageName, seen.Enqueue);
        await connection.StartAsync();
        await connection.InvokeAsync<JobProgress>("Follow", jobId);
        return connection;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}
