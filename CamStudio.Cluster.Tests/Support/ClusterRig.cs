using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>
/// A cluster on loopback: its own cluster id, PostgreSQL database, secret and data folder on the shared test
/// services; workers and studio nodes started as processes; everything killed on dispose. Workers start one after
/// another, each once the cluster lists it healthy: on 2 busy cores, silos loading their engines at once starve each
/// other and miss their membership probes.
/// </summary>
public sealed class ClusterRig : IDisposable
{
    /// <summary>How long one worker may take to join (its silo, engine and first report) on a loaded 2-core machine.</summary>
    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(180);

    private readonly ClusterServices _services;
    private readonly List<WorkerProcess> _workers = [];
    private readonly List<WebAppProcess> _studios = [];

    public ClusterRig(ClusterServices services, string name, string mode = "redis")
    {
        _services = services;
        string id = $"{name}-{Guid.NewGuid():N}"[..24];
        Data = Path.Combine(Path.GetTempPath(), "camstudio-cluster-tests", id);
        Directory.CreateDirectory(Data);
        Postgres = services.Postgres.CreateDatabase("jobs");
        Settings = new Dictionary<string, string>
        {
            ["CamStudio:Cluster:Mode"] = mode,
            ["CamStudio:Cluster:Redis"] = services.Redis.ConnectionString,
            ["CamStudio:Cluster:Postgres"] = Postgres,
            ["CamStudio:Cluster:ClusterId"] = id,
            ["CamStudio:Cluster:Secret"] = "secret-of-" + id,
            ["CamStudio:Jobs:BatchSize"] = "2",
        };
    }

    public string Data { get; }

    /// <summary>The cluster's PostgreSQL database (jobs; the membership table too in postgres mode).</summary>
    public string Postgres { get; }

    public Dictionary<string, string> Settings { get; }

    public IReadOnlyList<WorkerProcess> Workers => _workers;

    public string Logs => string.Join("\n", _workers.Select(w => $"--- worker {w.Name}\n{w.Output}").Concat(_studios.Select(s => $"--- studio {s.Address}\n{s.Output}")));

    /// <summary>Settings for studio nodes that keep their jobs in a database of their own (a test's jobs apart from the others').</summary>
    public Dictionary<string, string> OwnJobs(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(extra ?? new Dictionary<string, string>())
        {
            ["CamStudio:Cluster:Postgres"] = _services.Postgres.CreateDatabase("jobs"),
        };
        return settings;
    }

    /// <summary>Starts a worker without waiting for it to join (<paramref name="settings"/> override the rig's).</summary>
    public WorkerProcess StartWorker(string name, string? modelsDirectory = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(Settings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            all[key] = value;
        var worker = WorkerProcess.Start(name, modelsDirectory ?? TestModels.Directory, all);
        _workers.Add(worker);
        return worker;
    }

    /// <summary>Starts the workers one after another, each once the one before is healthy in <paramref name="studio"/>'s list.</summary>
    public async Task StartWorkersAsync(HttpClient studio, params string[] names)
    {
        foreach (string name in names)
            await StartHealthyWorkerAsync(studio, name);
    }

    /// <summary>Starts a worker and waits until <paramref name="studio"/> lists it as healthy.</summary>
    public async Task<WorkerProcess> StartHealthyWorkerAsync(HttpClient studio, string name)
    {
        WorkerProcess worker = StartWorker(name);
        await WaitForWorkerAsync(studio, name);
        return worker;
    }

    /// <summary>Waits until <paramref name="studio"/> lists the worker as healthy (up to <see cref="JoinTimeout"/>).</summary>
    public async Task WaitForWorkerAsync(HttpClient studio, string name)
    {
        var deadline = DateTime.UtcNow + JoinTimeout;
        while (true)
        {
            var workers = await WorkersAsync(studio);
            if (workers.Any(w => w.GetProperty("name").GetString() == name && w.GetProperty("healthy").GetBoolean()))
                return;
            foreach (WorkerProcess w in _workers.Where(w => w.Name == name && w.HasExited))
                throw new InvalidOperationException($"Worker {w.Name} exited while starting:\n{w.Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Worker {name} did not come up in {JoinTimeout.TotalSeconds} s: {JsonSerializer.Serialize(workers)}\n{Logs}");
            await Task.Delay(250);
        }
    }

    public async Task<WebAppProcess> StartStudioAsync(IReadOnlyDictionary<string, string>? extra = null, string? modelsDirectory = null)
    {
        var settings = new Dictionary<string, string>(Settings);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        WebAppProcess studio = await WebAppProcess.StartAsync(Data, modelsDirectory ?? TestModels.Directory, settings);
        _studios.Add(studio);
        return studio;
    }

    /// <summary>Submits a job like <see cref="JobRequests.SubmitAsync"/>; a refusal fails with every node's log (the server's reason is only there).</summary>
    public async Task<string> SubmitAsync(HttpClient studio, HttpContent form)
    {
        try
        {
            return await JobRequests.SubmitAsync(studio, form);
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n{Logs}");
        }
    }

    public static async Task<List<JsonElement>> WorkersAsync(HttpClient studio) =>
        [.. (await studio.GetFromJsonAsync<JsonElement>("api/workers")).EnumerateArray()];

    /// <summary>Photos each worker has explained so far, by name (as they report, once a second).</summary>
    public static async Task<Dictionary<string, long>> PhotosDoneAsync(HttpClient studio) =>
        (await WorkersAsync(studio)).ToDictionary(w => w.GetProperty("name").GetString()!, w => w.GetProperty("photosDone").GetInt64());

    public void Dispose()
    {
        foreach (var process in _studios)
            process.Dispose();
        foreach (var process in _workers)
            process.Dispose();
        try
        {
            Directory.Delete(Data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
