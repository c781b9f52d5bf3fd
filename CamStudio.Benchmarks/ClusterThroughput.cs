using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CamStudio.Cluster.Tests.Support;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.SignalR.Client;

namespace CamStudio.Benchmarks;

/// <summary>
/// <c>--cluster [photos] [--rounds N]</c>: photos per second of one Grad-CAM job (default 200 photos, the default
/// model) on today's single process, on a cluster of 1 worker and on one of 2 workers, all on this machine
/// (throwaway Redis and PostgreSQL, worker and studio processes as the tests start them). The three stay up and their
/// jobs alternate, round after round, so a change in the machine's load hits all three alike. Also: the per-photo
/// overhead of the clustered path, and the latency of a photo's progress message from the worker's answer (and from
/// the runner's publish) to a SignalR follower of the studio.
/// </summary>
public static class ClusterThroughput
{
    private sealed record JobRun(double Seconds, List<double> WorkerToFollowerMs, List<double> PublishToFollowerMs);

    public static int Run(string[] args)
    {
        int photos = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).Select(a => int.TryParse(a, out int n) ? n : 0).FirstOrDefault(n => n > 0, 200);
        int roundsAt = Array.IndexOf(args, "--rounds");
        int rounds = roundsAt >= 0 && roundsAt + 1 < args.Length && int.TryParse(args[roundsAt + 1], out int r) ? Math.Max(1, r) : 2;
        return RunAsync(photos, rounds).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int photos, int rounds)
    {
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");
        using var services = new ClusterServices();
        string data = Path.Combine(Path.GetTempPath(), "camstudio-cluster-bench", "single-" + Guid.NewGuid().ToString("N"));
        using var single = await WebAppProcess.StartAsync(data, TestModels.Directory, new Dictionary<string, string> { ["CamStudio:Jobs:BatchSize"] = "4" });
        using var oneRig = await ClusterAsync(services, 1);
        using var twoRig = await ClusterAsync(services, 2);
        var targets = new (string Name, Uri Address)[]
        {
            ("single process", single.Address),
            ("cluster, 1 worker", oneRig.Studio),
            ("cluster, 2 workers", twoRig.Studio),
        };
        var runs = targets.ToDictionary(t => t.Name, _ => new List<JobRun>());
        // A short job on each first: models loaded, code jitted, connections open.
        foreach (var (_, address) in targets)
            await RunJobAsync(address, Math.Min(8, photos));
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var (name, address) in targets)
            {
                JobRun run = await RunJobAsync(address, photos);
                runs[name].Add(run);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}, {name}: {photos} photos in {run.Seconds:0.0} s = {photos / run.Seconds:0.00} photos/s (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
            }
        }

        Console.WriteLine();
        foreach (var (name, list) in runs)
        {
            double seconds = Median([.. list.Select(x => x.Seconds)]);
            List<double> worker = [.. list.SelectMany(x => x.WorkerToFollowerMs)], publish = [.. list.SelectMany(x => x.PublishToFollowerMs)];
            string latency = worker.Count > 0
                ? string.Create(CultureInfo.InvariantCulture, $"; worker answer → follower median {Percentile(worker, 0.5):0} ms, p95 {Percentile(worker, 0.95):0} ms")
                : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: median {photos / seconds:0.00} photos/s ({seconds:0.0} s){latency}; runner publish → follower median {Percentile(publish, 0.5):0} ms, p95 {Percentile(publish, 0.95):0} ms ({publish.Count} messages)"));
        }
        var singleRuns = runs["single process"];
        double overhead = Median([.. Enumerable.Range(0, rounds).Select(i => 1000 * (runs["cluster, 1 worker"][i].Seconds - singleRuns[i].Seconds) / photos)]);
        double speedup = Median([.. Enumerable.Range(0, rounds).Select(i => runs["cluster, 1 worker"][i].Seconds / runs["cluster, 2 workers"][i].Seconds)]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overhead per photo of the clustered path (1 worker vs single process, same round): median {overhead:0.0} ms; 2 workers vs 1: ×{speedup:0.00}"));
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        Directory.Delete(data, recursive: true);
        return 0;
    }

    /// <summary>A cluster rig with its workers joined and one studio (it runs the jobs).</summary>
    private sealed class Cluster(ClusterRig rig, Uri studio) : IDisposable
    {
        public Uri Studio { get; } = studio;

        public void Dispose() => rig.Dispose();
    }

    private static async Task<Cluster> ClusterAsync(ClusterServices services, int workers)
    {
        var rig = new ClusterRig(services, $"bench{workers}");
        rig.Settings["CamStudio:Jobs:BatchSize"] = "4";
        var studio = await rig.StartStudioAsync();
        using var client = new HttpClient { BaseAddress = studio.Address };
        await rig.StartWorkersAsync(client, [.. Enumerable.Range(1, workers).Select(i => $"w{i}")]);
        return new Cluster(rig, studio.Address);
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }

    /// <summary>
    /// Submits a Grad-CAM job, follows it, and returns the seconds from its start to its end as the job store recorded
    /// them, with each photo message's latency from the worker's answer and from the runner's publish.
    /// </summary>
    private static async Task<JobRun> RunJobAsync(Uri studio, int photos)
    {
        using var client = new HttpClient { BaseAddress = studio, Timeout = TimeSpan.FromMinutes(5) };
        var fromWorker = new ConcurrentQueue<double>();
        var fromPublish = new ConcurrentQueue<double>();
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(studio, "hubs/jobs")).Build();
        connection.On<JobProgress>(JobProgressPublisher.MessageName, m =>
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (m.Photo is null)
                return;
            if (m.ComputedAtUnixMs is { } computed)
                fromWorker.Enqueue(now - computed);
            if (m.FinishedAtUnixMs is { } published)
                fromPublish.Enqueue(now - published);
        });
        await connection.StartAsync();
        string jobId = await JobRequests.SubmitAsync(client, JobRequests.Photos(photos, "gradcam"));
        await connection.InvokeAsync<JobProgress>("Follow", jobId);
        var clock = Stopwatch.StartNew();
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 1800);
        if (job.GetProperty("state").GetString() != "completed" || job.GetProperty("done").GetInt32() != photos)
            throw new InvalidOperationException($"The benchmark job did not complete: {job}");
        double seconds = job.TryGetProperty("startedUtc", out var started) && job.TryGetProperty("finishedUtc", out var finished)
            && started.ValueKind == JsonValueKind.String && finished.ValueKind == JsonValueKind.String
            ? (finished.GetDateTimeOffset() - started.GetDateTimeOffset()).TotalSeconds
            : clock.Elapsed.TotalSeconds;
        return new JobRun(seconds, [.. fromWorker], [.. fromPublish]);
    }
}
