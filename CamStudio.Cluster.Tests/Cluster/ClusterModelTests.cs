using System.Net;
using System.Text.Json;
using CamStudio.Cluster.Tests.Support;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Cluster;
using CamStudio.Web.Jobs;

namespace CamStudio.Cluster.Tests.Cluster;

/// <summary>
/// Models are resolved by name and SHA-256 on every worker: beside the shared w1 and w2 (the test models), worker
/// other-file has another file under the same name and no-model has no model at all.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterModelTests(ClusterServices services)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task WorkersWithoutTheJobsModelFileRefuseItWithTheReasonAndTheJobRunsOnTheWorkersThatHaveIt()
    {
        SharedCluster cluster = await services.SharedClusterAsync();
        ClusterRig rig = cluster.Rig;
        string variant = ModelVariants.Folder("a"), other = ModelVariants.Folder("b");
        string empty = Path.Combine(rig.Data, "no-models");
        Directory.CreateDirectory(empty);
        string real = ModelVariants.Sha256In(TestModels.Directory), variantSha = ModelVariants.Sha256In(variant), otherSha = ModelVariants.Sha256In(other);
        Assert.Equal(3, new[] { real, variantSha, otherSha }.Distinct().Count());

        using WorkerProcess otherFile = rig.StartWorker("other-file", variant);
        await rig.WaitForWorkerAsync(cluster.Watcher, "other-file");
        using WorkerProcess noModel = rig.StartWorker("no-model", empty);
        await rig.WaitForWorkerAsync(cluster.Watcher, "no-model");

        // The Workers API and page say which worker has which model (name and the start of its SHA-256).
        var models = (await ClusterRig.WorkersAsync(cluster.Watcher)).ToDictionary(w => w.GetProperty("name").GetString()!,
            w => w.GetProperty("models").EnumerateArray().Select(m => m.GetString()!).ToList());
        Assert.Equal([$"{TestModels.DefaultModel} ({real[..12]})"], models["w1"]);
        Assert.Equal([$"{TestModels.DefaultModel} ({real[..12]})"], models["w2"]);
        Assert.Equal([$"{TestModels.DefaultModel} ({variantSha[..12]})"], models["other-file"]);
        Assert.Empty(models["no-model"]);
        string page = await cluster.Watcher.GetStringAsync("workers");
        Assert.Contains($"{TestModels.DefaultModel} ({variantSha[..12]})", page);
        Assert.Contains($"{TestModels.DefaultModel} ({real[..12]})", page);

        // (Counted from here: the one photo w1 explains below, and the job's 8; the counts arrive once a second.)
        Dictionary<string, long> before = await ClusterRig.PhotosDoneAsync(cluster.Watcher);

        // Asked directly, each worker refuses a batch it cannot compute as the job needs, saying why.
        var batch = new WorkerBatch("direct", JsonSerializer.Serialize(JobSettings.Default, Json), "", TestModels.DefaultModel, real,
            [new WorkerPhoto("cat.jpg", File.ReadAllBytes(SharedResources.Image(JobRequests.SharedPhotos[0])))]);
        await using (DirectClient direct = await DirectClient.ConnectAsync(rig.Settings))
        {
            WorkerBatchResult byOtherFile = await direct.ExplainOnAsync("other-file", batch);
            Assert.Empty(byOtherFile.Photos);
            Assert.Equal($"worker other-file has model '{TestModels.DefaultModel}' with SHA-256 {variantSha[..12]}…, the job needs {real[..12]}…", byOtherFile.Refusal);
            WorkerBatchResult byNoModel = await direct.ExplainOnAsync("no-model", batch);
            Assert.Empty(byNoModel.Photos);
            Assert.StartsWith($"worker no-model cannot run model '{TestModels.DefaultModel}': No model named '{TestModels.DefaultModel}'", byNoModel.Refusal);
            // The same batch on a worker with the model is explained (the refusals are about the model, not the batch).
            WorkerBatchResult byW1 = await direct.ExplainOnAsync("w1", batch);
            Assert.Null(byW1.Refusal);
            Assert.Null(Assert.Single(byW1.Photos).Error);
        }

        // A job goes to the workers with the studio's model only.
        using (var studio = await rig.StartStudioAsync(rig.OwnJobs()))
        {
            using var client = new HttpClient { BaseAddress = studio.Address };
            string jobId = await rig.SubmitAsync(client, JobRequests.Photos(8, "gradcam"));
            JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 300);
            Assert.True(job.GetProperty("state").GetString() == "completed", $"{job}\n{studio.Output}");
            Assert.Equal(real, job.GetProperty("modelSha256").GetString());
        }
        Dictionary<string, long> after = await WhenCountedAsync(cluster.Watcher, before, 1 + 8);
        Assert.Equal(0, after.GetValueOrDefault("other-file") - before.GetValueOrDefault("other-file"));
        Assert.Equal(0, after.GetValueOrDefault("no-model") - before.GetValueOrDefault("no-model"));

        // A studio whose model no worker has (another file again) refuses the job, naming what each worker has.
        using (var studio = await rig.StartStudioAsync(rig.OwnJobs(), modelsDirectory: other))
        {
            using var client = new HttpClient { BaseAddress = studio.Address };
            using HttpResponseMessage response = await client.PostAsync("api/jobs", JobRequests.Photos(2, "gradcam"));
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{response.StatusCode}: {body}");
            Assert.Contains($"No worker can run this job: it needs model '{TestModels.DefaultModel}' (SHA-256 {otherSha[..12]}…)", body);
            Assert.Contains($"w1 has {TestModels.DefaultModel} with SHA-256 {real[..12]}…", body);
            Assert.Contains($"other-file has {TestModels.DefaultModel} with SHA-256 {variantSha[..12]}…", body);
            Assert.Contains("no-model has no models", body);
        }
    }

    /// <summary>The workers' counts once <paramref name="photos"/> more were reported than in <paramref name="before"/>.</summary>
    private static async Task<Dictionary<string, long>> WhenCountedAsync(HttpClient watcher, Dictionary<string, long> before, int photos)
    {
        for (var until = DateTime.UtcNow.AddSeconds(15); ; await Task.Delay(250))
        {
            Dictionary<string, long> now = await ClusterRig.PhotosDoneAsync(watcher);
            long more = now.Sum(w => w.Value - before.GetValueOrDefault(w.Key));
            if (more == photos)
                return now;
            Assert.True(DateTime.UtcNow < until, $"The workers reported {more} photos, not {photos}: {string.Join(", ", now)}");
        }
    }
}
