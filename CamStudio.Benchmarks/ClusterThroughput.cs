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
/// <c>--cluster [photos]</c>: photos per second of one Grad-CAM job (default 200 photos, the default model) on today's
/// single process, on a cluster of 1 worker and of 2 workers (all on this machine: throwaway Redis and PostgreSQL,
/// worker and studio processes as the tests start them), the per-photo overhead of the clustered path, and the
/// latency of a progress message from the worker that finished the photo to a SignalR follower of the studio.
/// </summary>
public static class ClusterThroughput
{
    public static int Run(string[] args)
    {
        int photos = args.Select(a => int.TryParse(a, out int n) ? n : 0).FirstOrDefault(n => n > 0, 200);
        using var services = new ClusterServices();
        var single = MeasureSingleAsync(photos).GetAwaiter().GetResult();
        Report("single process", photos, single.Seconds, null);
        var one = MeasureClusterAsync(services, photos, 1).GetAwaiter().GetResult();
        Report("cluster, 1 worker", photos, one.Seconds, one.LatenciesMs);
        var two = MeasureClusterAsync(services, photos, 2).GetAwaiter().GetResult();
        Report("cluster, 2 workers", photos, two.Seconds, two.LatenciesMs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"overhead per photo of the clustered path (1 worker vs single process): {1000 * (one.Seconds - single.Seconds) / photos:0.0} ms"));
        return 0;
    }

    private static void Report(string what, int photos, double seconds, List<double>? latencies)
    {
        string latency = latencies is { Count: > 0 }
            ? string.Create(CultureInfo.InvariantCulture, $"; progress latency worker→follower median {Percentile(latencies, 0.5):0} ms, p95 {Percentile(latencies, 0.95):0} ms ({latencies.Count} messages)")
            : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {photos} photos in {seconds:0.0} s = {photos / seconds:0.00} photos/s{latency}"));
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }

    private static async Task<(double Seconds, List<double>? LatenciesMs)> MeasureSingleAsync(int photos)
    {
        string data = Path.Combine(Path.GetTempPath(), "camstudio-cluster-bench", "single-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var app = await WebAppProcess.StartAsync(data, TestModels.Directory, new Dictionary<string, string> { ["CamStudio:Jobs:BatchSize"] = "4" });
            using var client = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromMinutes(5) };
            return (await RunJobAsync(client, photos, null), null);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<(double Seconds, List<double> LatenciesMs)> MeasureClusterAsync(ClusterServices services, int photos, int workers)
    {
        using var rig = new ClusterRig(services, $"bench{workers}");
        rig.Settings["CamStudio:Jobs:BatchSize"] = "4";
        var studio = await rig.StartStudioAsync();
        using var client = new HttpClient { BaseAddress = studio.Address, Timeout = TimeSpan.FromMinutes(5) };
        await rig.StartWorkersAsync(client, [.. Enumerable.Range(1, workers).Select(i => $"w{i}")]);
        var latencies = new ConcurrentQueue<double>();
        var connection = new HubConnectionBuilder().WithUrl(new Uri(studio.Address, "hubs/jobs")).Build();
        connection.On<JobProgress>(JobProgressPublisher.MessageName, m =>
        {
            if (m.ComputedAtUnixMs is { } computed)
                latencies.Enqueue(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - computed);
        });
        await connection.StartAsync();
        try
        {
            double seconds = await RunJobAsync(client, photos, id => connection.InvokeAsync<JobProgress>("Follow", id));
            return (seconds, [.. latencies]);
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>Submits a Grad-CAM job and returns the seconds from its start to its end as the job store recorded them.</summary>
    private static async Task<double> RunJobAsync(HttpClient client, int photos, Func<string, Task>? follow)
    {
        string jobId = await JobRequests.SubmitAsync(client, JobRequests.Photos(photos, "gradcam"));
        if (follow is not null)
            await follow(jobId);
        var clock = Stopwatch.StartNew();
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 1800);
        if (job.GetProperty("state").GetString() != "completed" || job.GetProperty("done").GetInt32() != photos)
            throw new InvalidOperationException($"The benchmark job did not complete: {job}");
        return job.TryGetProperty("startedUtc", out var started) && job.TryGetProperty("finishedUtc", out var finished)
            && started.ValueKind == JsonValueKind.String && finished.ValueKind == JsonValueKind.String
            ? (finished.GetDateTimeOffset() - started.GetDateTimeOffset()).TotalSeconds
            : clock.Elapsed.TotalSeconds;
    }
}
