using System.Collections.Concurrent;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Jobs;

/// <summary>Live progress over SignalR against the app on real Kestrel (127.0.0.1, free port), real engine.</summary>
[Collection(TorchCollection.Name)]
public sealed class JobsHubTests : IDisposable
{
    private readonly JobsAppFactory _app = new(kestrel: true, batchSize: 2);

    public void Dispose() => _app.Dispose();

    private HubConnection Connect(ConcurrentQueue<JobProgress> received)
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/jobs")).Build();
        connection.On<JobProgress>(JobProgressPublisher.MessageName, received.Enqueue);
        return connection;
    }

    /// <summary>
    /// Submits a job while the explainer is gated, follows it, and lets exactly the first batch through
    /// (two messages arrive), so the runner is then waiting for batch 2.
    /// </summary>
    private async Task<(string JobId, HubConnection Client)> FollowThroughFirstBatchAsync(
        HttpClient http, int photos, ConcurrentQueue<JobProgress> received)
    {
        _app.Explainer.Close();
        string jobId = await JobRequests.SubmitAsync(http, JobRequests.Photos(photos));
        HubConnection client = Connect(received);
        await client.StartAsync();
        await client.InvokeAsync<JobProgress>("Follow", jobId);
        _app.Explainer.Release(1);
        await WaitUntilAsync(() => received.Count == 2, "the first batch");
        return (jobId, client);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task TwoFollowersReceiveEveryPhotoInOrderThenTheFinalState()
    {
        using var http = new HttpClient { BaseAddress = _app.ServerAddress };
        _app.Explainer.Close(); // the job waits until both clients follow it
        string jobId = await JobRequests.SubmitAsync(http, JobRequests.Photos(7));
        var first = new ConcurrentQueue<JobProgress>();
        var second = new ConcurrentQueue<JobProgress>();
        await using var a = Connect(first);
        await using var b = Connect(second);
        await a.StartAsync();
        await b.StartAsync();
        JobProgress snapshot = await a.InvokeAsync<JobProgress>("Follow", jobId);
        await b.InvokeAsync<JobProgress>("Follow", jobId);
        Assert.Equal(0, snapshot.Done);
        Assert.Equal(7, snapshot.Total);

        _app.Explainer.Release(100);
        await WaitUntilAsync(() => first.Any(p => p.State != "running") && second.Any(p => p.State != "running"), "the final messages");

        foreach (var messages in new[] { first.ToArray(), second.ToArray() })
        {
            Assert.Equal(8, messages.Length);
            Assert.Equal([1, 2, 3, 4, 5, 6, 7], messages[..7].Select(m => m.Done + m.Failed));
            Assert.All(messages[..7], m => Assert.Equal("running", m.State));
            Assert.Equal([0, 1, 2, 3, 4, 5, 6], messages[..7].Select(m => m.Photo!.Value));
            Assert.Equal("p000_cat.bmp", messages[0].File);
            Assert.All(messages[..7], m => Assert.NotNull(m.Top1Name));
            Assert.Equal(0, messages[6].EtaMs);
            JobProgress final = messages[7];
            Assert.Equal("completed", final.State);
            Assert.Equal(7, final.Done);
            Assert.Equal(7, final.Total);
        }
        Assert.Equal(first.Select(m => (m.Done, m.File, m.Top1Index)), second.Select(m => (m.Done, m.File, m.Top1Index)));
    }

    [Fact]
    public async Task UnfollowStopsTheMessages()
    {
        using var http = new HttpClient { BaseAddress = _app.ServerAddress };
        var received = new ConcurrentQueue<JobProgress>();
        (string jobId, HubConnection client) = await FollowThroughFirstBatchAsync(http, photos: 6, received);
        await using var _ = client;
        await client.InvokeAsync("Unfollow", jobId);
        _app.Explainer.Release(100);
        await JobRequests.WaitForEndAsync(http, jobId);
        Assert.Equal(2, received.Count);
    }

    [Fact]
    public async Task CancelStopsTheJobWithinOneBatch()
    {
        using var http = new HttpClient { BaseAddress = _app.ServerAddress };
        var received = new ConcurrentQueue<JobProgress>();
        (string jobId, HubConnection client) = await FollowThroughFirstBatchAsync(http, photos: 12, received);
        await using var _ = client;
        // The runner now waits for batch 2; a cancel arriving here must end the job before any more photos.
        using (var cancel = await http.DeleteAsync($"api/jobs/{jobId}"))
            Assert.Equal(System.Net.HttpStatusCode.Accepted, cancel.StatusCode);
        _app.Explainer.Release(100);
        await WaitUntilAsync(() => received.Any(p => p.State != "running"), "the final message");

        JobProgress final = received.Last();
        Assert.Equal("cancelled", final.State);
        Assert.Equal(2, final.Done);
        var job = await JobRequests.GetJobAsync(http, jobId);
        Assert.Equal("cancelled", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("done").GetInt32());
        Assert.Equal(2, _app.Explainer.Explained.Count);
        using (var again = await http.DeleteAsync($"api/jobs/{jobId}"))
            Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(2, _app.Services.GetRequiredService<JobStore>().ListPhotos(jobId).Count(p => p.State == PhotoState.Done));
    }
}
