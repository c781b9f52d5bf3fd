using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// The job API under hostile input and a full disk: garbage multipart and empty ZIPs are 400s, a full disk is a
/// 507 at intake and a "disk full" job while running (the host keeps running), deleting purges rows and files,
/// listings are paged and small.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobsRobustnessTests : IDisposable
{
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (IDisposable disposable in Enumerable.Reverse(_disposables))
            disposable.Dispose();
    }

    private JobsAppFactory App(IDiskSpace? disk = null, Action<JobOptions>? configure = null, string? dataDirectory = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var app = new JobsAppFactory(batchSize: 2, settings: settings, dataDirectory: dataDirectory) { Disk = disk, ConfigureJobs = configure };
        _disposables.Add(app);
        return app;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected, params string[] mustNotContain)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", body);
        foreach (string secret in mustNotContain)
            Assert.DoesNotContain(secret, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] JobFolders(JobsAppFactory app) =>
        Directory.Exists(Path.Combine(app.DataDirectory, "jobs")) ? Directory.GetDirectories(Path.Combine(app.DataDirectory, "jobs")) : [];

    private static ByteArrayContent Raw(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    public static TheoryData<string, string> GarbageBodies => new()
    {
        { "multipart/form-data", "no boundary in the content type" },
        { "multipart/form-data; boundary=xyz", "garbage that never has a boundary line" },
        { "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\n\r\n\u0089PNG truncated" },
        { "multipart/form-data; boundary=xyz", "--xyz\r\nX-Nothing: here\r\n\r\nbody\r\n--xyz--\r\n" },
        { "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\nbroken header line without colon\r\n\r\nx\r\n--xyz--\r\n" },
        { "application/json", "{\"photos\": []}" },
    };

    [Theory]
    [MemberData(nameof(GarbageBodies))]
    public async Task GarbageMultipartIsA400ProblemAndLeavesNothingBehind(string contentType, string body)
    {
        JobsAppFactory app = App();
        using var client = app.CreateClient();
        using var response = await client.PostAsync("api/jobs", Raw(contentType, body));
        await ProblemAsync(response, HttpStatusCode.BadRequest, app.DataDirectory);
        Assert.Empty(JobFolders(app));
        using var health = await client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task AZeroByteZipIsA400ThatSaysItIsEmpty()
    {
        JobsAppFactory app = App();
        using var client = app.CreateClient();
        var form = new MultipartFormDataContent { { new ByteArrayContent([]), "archive", "empty.zip" } };
        using var response = await client.PostAsync("api/jobs", form);
        JsonElement problem = await ProblemAsync(response, HttpStatusCode.BadRequest, app.DataDirectory);
        Assert.Contains("'empty.zip' is empty (0 bytes)", problem.GetProperty("detail").GetString());
        Assert.Empty(JobFolders(app));
    }

    [Fact]
    public async Task IntakeOnAFullDiskIsA507NamingTheFolderAndTheExplorerStillAnswers()
    {
        var disk = new FakeDiskSpace(new JobOptions().DiskReserveBytes - 1);
        JobsAppFactory app = App(disk);
        using var client = app.CreateClient();
        using var response = await client.PostAsync("api/jobs", JobRequests.Photos(2));
        JsonElement problem = await ProblemAsync(response, HttpStatusCode.InsufficientStorage);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith("disk full:", detail);
        Assert.Contains(app.DataDirectory, detail);
        Assert.Empty(JobFolders(app));

        using var models = await client.GetAsync("api/models");
        Assert.Equal(HttpStatusCode.OK, models.StatusCode); // the explorer's API
        JsonElement page = await WaitForListingAsync(client, l => l.GetProperty("waiting").ValueKind == JsonValueKind.String);
        Assert.StartsWith("Jobs wait: disk full:", page.GetProperty("waiting").GetString());
        string html = await client.GetStringAsync("jobs");
        Assert.Contains("data-jobs-notice", html);
        Assert.Contains("disk full", html);

        // Room again: the same request is taken.
        disk.Available = long.MaxValue / 4;
        await JobRequests.SubmitAsync(client, JobRequests.Photos(1));
    }

    [Fact]
    public async Task QueuedJobsWaitOnAFullDiskAndRunOnceThereIsRoom()
    {
        var disk = new FakeDiskSpace(long.MaxValue / 4);
        JobsAppFactory app = App(disk);
        using var client = app.CreateClient();
        app.Explainer.Close();
        string first = await JobRequests.SubmitAsync(client, JobRequests.Photos(1));
        string second = await JobRequests.SubmitAsync(client, JobRequests.Photos(1));
        disk.Available = 0;
        app.Explainer.Release(10);
        JsonElement done = await JobRequests.WaitForEndAsync(client, first);
        Assert.Equal("failed", done.GetProperty("state").GetString()); // its results found no room
        Assert.StartsWith("disk full:", done.GetProperty("error").GetString());

        await WaitForListingAsync(client, l => l.GetProperty("waiting").ValueKind == JsonValueKind.String);
        Assert.Equal("queued", (await JobRequests.GetJobAsync(client, second)).GetProperty("state").GetString());
        disk.Available = long.MaxValue / 4;
        app.Services.GetRequiredService<JobRunner>().Wake();
        JsonElement later = await JobRequests.WaitForEndAsync(client, second);
        Assert.Equal("completed", later.GetProperty("state").GetString());
    }

    [Fact]
    public async Task PurgeDeletesAFinishedJobsRowsAndFilesAndCancelsARunningOneFirst()
    {
        JobsAppFactory app = App();
        using var client = app.CreateClient();
        string finished = await JobRequests.SubmitAsync(client, JobRequests.Photos(1));
        await JobRequests.WaitForEndAsync(client, finished);
        Assert.Contains($"data-delete-job=\"{finished}\"", await client.GetStringAsync("jobs"));
        Assert.Contains($"data-delete-job=\"{finished}\"", await client.GetStringAsync($"jobs/{finished}"));
        using (var cancel = await client.DeleteAsync($"api/jobs/{finished}"))
            Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode); // plain DELETE still only cancels
        Assert.True(Directory.Exists(Path.Combine(app.DataDirectory, "jobs", finished)));

        using (var purge = await client.DeleteAsync($"api/jobs/{finished}?purge=true"))
            Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(app.DataDirectory, "jobs", finished)));
        using (var gone = await client.GetAsync($"api/jobs/{finished}"))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        app.Explainer.Close();
        string running = await JobRequests.SubmitAsync(client, JobRequests.Photos(4));
        await WaitForStateAsync(client, running, "running");
        using (var purge = await client.DeleteAsync($"api/jobs/{running}?purge=true"))
            Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(app.DataDirectory, "jobs", running)));
        Assert.Null(app.Services.GetRequiredService<JobStore>().GetJob(running));
    }

    [Fact]
    public async Task ListingsArePagedAndCarryOnlyTheCountOfSkippedEntries()
    {
        JobsAppFactory app = App();
        using var client = app.CreateClient();
        app.Explainer.Close(); // the jobs stay queued: nothing needs computing
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            var form = JobRequests.Photos(1);
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("notes")), "photos", $"notes{i}.txt");
            ids.Add(await JobRequests.SubmitAsync(client, form));
        }

        JsonElement first = await client.GetFromJsonAsync<JsonElement>("api/jobs?page=1&pageSize=2");
        Assert.Equal(3, first.GetProperty("total").GetInt32());
        JsonElement[] jobs = [.. first.GetProperty("jobs").EnumerateArray()];
        Assert.Equal(2, jobs.Length);
        Assert.All(jobs, j =>
        {
            Assert.Equal(1, j.GetProperty("skippedCount").GetInt32());
            Assert.Equal(0, j.GetProperty("skipped").GetArrayLength());
        });
        JsonElement second = await client.GetFromJsonAsync<JsonElement>("api/jobs?page=2&pageSize=2");
        Assert.Single(second.GetProperty("jobs").EnumerateArray());
        var all = jobs.Concat(second.GetProperty("jobs").EnumerateArray()).Select(j => j.GetProperty("jobId").GetString()!).ToHashSet();
        Assert.Equal(ids.ToHashSet(), all);

        JsonElement detail = await JobRequests.GetJobAsync(client, ids[0]);
        Assert.Equal("notes0.txt", detail.GetProperty("skipped")[0].GetProperty("entry").GetString());

        using var tooBig = await client.GetAsync($"api/jobs?pageSize={JobsApi.MaxPageSize + 1}");
        JsonElement problem = await ProblemAsync(tooBig, HttpStatusCode.BadRequest);
        Assert.Contains($"between 1 and {JobsApi.MaxPageSize}", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task JobsUseTheSamePixelLimitAsTheApi()
    {
        // cat.bmp is larger than 100×100: over a limit of 10,000 pixels it fails, naming the limit.
        JobsAppFactory app = App(settings: new Dictionary<string, string> { ["CamStudio:MaxPixels"] = "10000" });
        using var client = app.CreateClient();
        string jobId = await JobRequests.SubmitAsync(client, JobRequests.Photos(1));
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId);
        Assert.Equal(1, job.GetProperty("failed").GetInt32());
        JsonElement results = await client.GetFromJsonAsync<JsonElement>($"api/jobs/{jobId}/results");
        Assert.Contains("megapixel limit", results.GetProperty("photos")[0].GetProperty("error").GetString());
    }

    [Fact]
    public async Task AReadOnlyDataFolderTurnsJobsOffNamingThePathWhileTheExplorerRuns()
    {
        var mount = new TmpfsMount(1024 * 1024, readOnly: true);
        JobsAppFactory app = App(dataDirectory: mount.Path);
        _disposables.Insert(0, mount); // unmounted after the app is gone
        using var client = app.CreateClient();

        using (var models = await client.GetAsync("api/models"))
            Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        using (var list = await client.GetAsync("api/jobs"))
        {
            JsonElement problem = await ProblemAsync(list, HttpStatusCode.ServiceUnavailable);
            Assert.Contains(mount.Path, problem.GetProperty("detail").GetString());
            Assert.StartsWith("Jobs are off", problem.GetProperty("detail").GetString());
        }
        using (var post = await client.PostAsync("api/jobs", JobRequests.Photos(1)))
            await ProblemAsync(post, HttpStatusCode.ServiceUnavailable);
        string html = await client.GetStringAsync("jobs");
        Assert.Contains("data-jobs-notice", html);
        Assert.Contains(mount.Path, html);
    }

    private static async Task<JsonElement> WaitForListingAsync(HttpClient client, Func<JsonElement, bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            JsonElement listing = await client.GetFromJsonAsync<JsonElement>("api/jobs");
            if (condition(listing))
                return listing;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The listing never matched: {listing}");
            await Task.Delay(50);
        }
    }

    private static async Task WaitForStateAsync(HttpClient client, string jobId, string state, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while ((await JobRequests.GetJobAsync(client, jobId)).GetProperty("state").GetString() != state)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Job {jobId} never became {state}.");
            await Task.Delay(20);
        }
    }
}
