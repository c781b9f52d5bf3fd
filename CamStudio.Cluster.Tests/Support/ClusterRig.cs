using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>
/// A cluster on loopback for one test: its own cluster id, PostgreSQL database, secret and data folder on the shared
/// test services; workers and studio nodes started as processes; everything killed on dispose.
/// </summary>
public sealed class ClusterRig : IDisposable
{
    private readonly List<WorkerProcess> _workers = [];
    private readonly List<WebAppProcess> _studios = [];

    public ClusterRig(ClusterServices services, string name)
    {
        string id = $"{name}-{Guid.NewGuid():N}"[..24];
        Data = Path.Combine(Path.GetTempPath(), "camstudio-cluster-tests", id);
        Directory.CreateDirectory(Data);
        Postgres = services.Postgres.CreateDatabase("jobs");
        Settings = new Dictionary<string, string>
        {
            ["CamStudio:Cluster:Mode"] = "redis",
            ["CamStudio:Cluster:Redis"] = services.Redis.ConnectionString,
            ["CamStudio:Cluster:Postgres"] = Postgres,
            ["CamStudio:Cluster:ClusterId"] = id,
            ["CamStudio:Cluster:Secret"] = "secret-of-" + id,
            ["CamStudio:Jobs:BatchSize"] = "2",
        };
    }

    public string Data { get; }

    public string Postgres { get; }

    public Dictionary<string, string> Settings { get; }

    public IReadOnlyList<WorkerProcess> Workers => _workers;

    public string Logs => string.Join("\n", _workers.Select(w => $"--- worker {w.Name}\n{w.Output}").Concat(_studios.Select(s => $"--- studio {s.Address}\n{s.Output}")));

    public WorkerProcess StartWorker(string name)
    {
        var worker = WorkerProcess.Start(name, TestModels.Directory, Settings);
        _workers.Add(worker);
        return worker;
    }

    public async Task<WebAppProcess> StartStudioAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>(Settings);
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        WebAppProcess studio = await WebAppProcess.StartAsync(Data, TestModels.Directory, settings);
        _studios.Add(studio);
        return studio;
    }

    /// <summary>Waits until the studio lists <paramref name="count"/> healthy workers (up to 5 min: on 2 busy cores a silo can take minutes to join).</summary>
    public async Task WaitForWorkersAsync(HttpClient studio, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(300);
        while (true)
        {
            var workers = await WorkersAsync(studio);
            if (workers.Count(w => w.GetProperty("healthy").GetBoolean()) >= count)
                return;
            foreach (WorkerProcess w in _workers.Where(w => w.HasExited))
                throw new InvalidOperationException($"Worker {w.Name} exited while starting:\n{w.Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{count} workers did not come up in 300 s: {JsonSerializer.Serialize(workers)}\n{Logs}");
            await Task.Delay(250);
        }
    }

    public static async Task<List<JsonElement>> WorkersAsync(HttpClient studio) =>
        [.. (await studio.GetFromJsonAsync<JsonElement>("api/workers")).EnumerateArray()];

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
