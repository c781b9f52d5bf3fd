using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;

namespace CamStudio.Cluster.Tests.Cluster;

/// <summary>Single mode (the default) changes nothing but this: the Workers panel and its API list this one process.</summary>
public sealed class SingleModeWorkersTests
{
    [Fact]
    public async Task TheDefaultModeListsThisProcessAsTheOneHealthyWorkerWithTheCatalogsModel()
    {
        using var app = new JobsAppFactory();
        using HttpClient client = app.CreateClient();
        JsonElement[] workers = [.. (await client.GetFromJsonAsync<JsonElement>("api/workers")).EnumerateArray()];
        JsonElement worker = Assert.Single(workers);
        Assert.EndsWith("(this process)", worker.GetProperty("name").GetString());
        Assert.True(worker.GetProperty("healthy").GetBoolean());
        Assert.Equal(0, worker.GetProperty("queue").GetInt32());
        Assert.StartsWith("CPU", worker.GetProperty("device").GetString());
        Assert.Contains(worker.GetProperty("models").EnumerateArray(), m => m.GetString()!.StartsWith($"{TestModels.DefaultModel} (", StringComparison.Ordinal));

        string page = await client.GetStringAsync("workers");
        Assert.Contains("data-workers-table", page);
        Assert.Contains("(this process)", page);
    }
}
