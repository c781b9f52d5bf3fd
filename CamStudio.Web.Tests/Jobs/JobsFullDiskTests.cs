using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// A really full disk (a small tmpfs filled to ENOSPC, no reserve): a running job's writes fail without stopping the
/// host, the job is failed "disk full" or (when even that write fails) stays resumable and finishes once there is
/// room, and the app starts on the full disk with the explorer running.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobsFullDiskTests : IDisposable
{
    private readonly TmpfsMount _mount = new(16 * 1024 * 1024);

    public void Dispose() => _mount.Dispose();

    private JobsAppFactory App() => new(batchSize: 2, dataDirectory: _mount.Path) { ConfigureJobs = o => o.DiskReserveBytes = 0 };

    [Fact]
    public async Task AJobThatFillsTheDiskNeverStopsTheHostAndTheAppStartsOnTheFullDisk()
    {
        string jobId;
        string outcome;
        using (JobsAppFactory app = App())
        {
            using var client = app.CreateClient();
            app.Explainer.Close();
            jobId = await JobRequests.SubmitAsync(client, JobRequests.Photos(2));
            await WaitAsync(async () => (await JobRequests.GetJobAsync(client, jobId)).GetProperty("state").GetString() == "running", "the job to start");
            string filler = _mount.Fill();
            app.Explainer.Release(10);

            // Either the failure was recorded, or recording it failed too and the runner says the job stays resumable.
            await WaitAsync(async () =>
                (await JobRequests.GetJobAsync(client, jobId)).GetProperty("state").GetString() == "failed"
                || app.Logs.Lines.Any(e => e.Message.Contains("stays resumable") || e.Message.Contains("resumes once the data folder")), "the disk-full outcome");
            JsonElement job = await JobRequests.GetJobAsync(client, jobId);
            outcome = job.GetProperty("state").GetString() == "failed"
                ? $"failed: {job.GetProperty("error").GetString()}"
                : "kept resumable (its failure could not be written either)";
            Console.WriteLine($"[measure] real full disk while running: job {outcome}");
            if (job.GetProperty("state").GetString() == "failed")
                Assert.StartsWith("disk full:", job.GetProperty("error").GetString());

            using (var health = await client.GetAsync("healthz"))
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using (var refused = await client.PostAsync("api/jobs", JobRequests.Photos(1)))
            {
                string body = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode == HttpStatusCode.InsufficientStorage, $"{(int)refused.StatusCode}: {body}");
                Assert.DoesNotContain("Exception", body);
            }
            Assert.False(app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
            _ = filler;
        }

        // A new process on the still-full disk: the explorer answers, the job list reads, jobs wait.
        using (JobsAppFactory app = App())
        {
            using var client = app.CreateClient();
            using (var models = await client.GetAsync("api/models"))
                Assert.Equal(HttpStatusCode.OK, models.StatusCode);
            JsonElement listing = default;
            await WaitAsync(async () =>
            {
                listing = await client.GetFromJsonAsync<JsonElement>("api/jobs");
                return listing.GetProperty("waiting").ValueKind == JsonValueKind.String;
            }, "the waiting notice");
            Assert.StartsWith("Jobs wait: disk full:", listing.GetProperty("waiting").GetString());
            Console.WriteLine($"[measure] start on a full disk: explorer 200, jobs listing 200, waiting: {listing.GetProperty("waiting").GetString()}");

            // Room again: a job kept resumable finishes; a failed one stays failed.
            File.Delete(Path.Combine(_mount.Path, "filler.bin"));
            app.Services.GetRequiredService<JobRunner>().Wake();
            JsonElement end = await JobRequests.WaitForEndAsync(client, jobId, seconds: 90);
            Assert.Equal(outcome.StartsWith("failed", StringComparison.Ordinal) ? "failed" : "completed", end.GetProperty("state").GetString());
        }
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}
