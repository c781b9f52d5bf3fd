using System.Security.Cryptography;
using System.Text.Json;
using CamStudio.Engine.Imaging;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// The server process is killed hard (SIGKILL) in the middle of a 30-photo job and started again on the same data
/// folder: the job resumes at its first unfinished photo, finished photos are not computed again, and nothing
/// written before the kill is lost or damaged.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobCrashRecoveryTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "camstudio-jobs-tests", "crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed record Finished(long ResultId, DateTimeOffset ComputedUtc, int Run, Dictionary<string, (DateTime WriteTime, string Sha256)> Files);

    private Dictionary<int, Finished> FinishedPhotos(string jobId)
    {
        var store = new JobStore(_data);
        string results = new JobFiles(_data).ResultsDirectory(jobId);
        return store.ListPhotos(jobId).Where(p => p.State != PhotoState.Pending).ToDictionary(p => p.Index, p =>
        {
            var files = p.Maps.SelectMany(m => new[] { m.NpyFile, m.RawNpyFile!, m.OverlayFile }).Append(p.ThumbnailFile!)
                .ToDictionary(f => f, f =>
                {
                    string path = Path.Combine(results, f);
                    return (File.GetLastWriteTimeUtc(path), Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
                });
            return new Finished(p.ResultId!.Value, p.ComputedUtc!.Value, p.ComputedInRun!.Value, files);
        });
    }

    private readonly ITestOutputHelper _log;

    public JobCrashRecoveryTests(ITestOutputHelper log) => _log = log;

    [Fact]
    public async Task AJobKilledMidwayResumesAtItsFirstUnfinishedPhotoWithoutRedoingFinishedOnes()
    {
        Directory.CreateDirectory(_data);
        var settings = new Dictionary<string, string> { ["CamStudio:Jobs:BatchSize"] = "2" };
        string jobId;
        int finishedAtKill;
        using (var first = await WebAppProcess.StartAsync(_data, TestModels.Directory, settings))
        using (var client = new HttpClient { BaseAddress = first.Address })
        {
            var form = JobRequests.Photos(30, "gradcam,hirescam");
            jobId = await JobRequests.SubmitAsync(client, form);
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                JsonElement job = await JobRequests.GetJobAsync(client, jobId);
                finishedAtKill = job.GetProperty("done").GetInt32() + job.GetProperty("failed").GetInt32();
                if (finishedAtKill >= 4)
                    break;
                Assert.True(DateTime.UtcNow < deadline, $"The job did not get going:\n{first.Output}");
                await Task.Delay(10);
            }
            Assert.Matches("Access code for LAN viewers: [A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", first.Output); // none configured: generated and printed
            first.KillHard();
            _log.WriteLine($"killed after {finishedAtKill} photos; first process output:\n{first.Output}");
            Assert.True(finishedAtKill < 30, "The job finished before it could be killed; make it longer.");
        }

        // What the dead process left: the job still says running; every photo with a row has all its files.
        var beforeRestart = FinishedPhotos(jobId);
        int k = beforeRestart.Count;
        Assert.InRange(k, finishedAtKill, 29);
        Assert.Equal(Enumerable.Range(0, k), beforeRestart.Keys.Order()); // photos finish in order
        Assert.All(beforeRestart.Values, f => Assert.Equal(1, f.Run));
        Assert.Equal(JobState.Running, new JobStore(_data).GetJob(jobId)!.State);

        using (var second = await WebAppProcess.StartAsync(_data, TestModels.Directory, settings))
        using (var client = new HttpClient { BaseAddress = second.Address })
        {
            JsonElement job = await JobRequests.WaitForEndAsync(client, jobId, seconds: 120);
            Assert.Equal("completed", job.GetProperty("state").GetString());
            Assert.Equal(30, job.GetProperty("done").GetInt32());
            Assert.Equal(0, job.GetProperty("failed").GetInt32());
            Assert.Equal(2, job.GetProperty("runs").GetInt32());
            string log = second.Output;
            _log.WriteLine(log);
            Assert.Contains($"Job {jobId} was running when the previous process stopped: marked interrupted", log);
            Assert.Contains($"Job {jobId} resumed (run 2) at photo {k}: {k} of 30 photos were already finished", log);
        }

        var store = new JobStore(_data);
        var runs = store.ListRuns(jobId);
        Assert.Equal(2, runs.Count);
        Assert.Equal(0, runs[0].FirstPhoto);
        Assert.Equal(k, runs[1].FirstPhoto);
        Assert.True(runs[1].Resumed);

        var photos = store.ListPhotos(jobId);
        Assert.Equal(30, photos.Count);
        Assert.All(photos, p => Assert.Equal(PhotoState.Done, p.State));
        Assert.Equal(30, photos.Select(p => p.ResultId).Distinct().Count());
        var after = FinishedPhotos(jobId);
        foreach (var (index, before) in beforeRestart)
        {
            // Not computed again: same row, same time, same run, files untouched (time and bytes).
            Finished now = after[index];
            Assert.Equal(before.ResultId, now.ResultId);
            Assert.Equal(before.ComputedUtc, now.ComputedUtc);
            Assert.Equal(1, now.Run);
            Assert.Equal(before.Files, now.Files);
        }
        Assert.All(photos.Where(p => p.Index >= k), p => Assert.Equal(2, p.ComputedInRun));
        Assert.True(photos.Where(p => p.Index >= k).Min(p => p.ResultId) > beforeRestart.Values.Max(f => f.ResultId));

        // Nothing half-written, every map readable, the database intact.
        string results = new JobFiles(_data).ResultsDirectory(jobId);
        Assert.Empty(Directory.EnumerateFiles(results, "*.partial", SearchOption.AllDirectories));
        foreach (JobPhoto photo in photos)
        {
            Assert.Equal(2, photo.Maps.Count); // 2 methods × top-1
            foreach (JobMapFile map in photo.Maps)
            {
                Assert.Equal([224, 224], NpyFormat.ReadFile(Path.Combine(results, map.NpyFile)).Shape);
                Assert.Equal([7, 7], NpyFormat.ReadFile(Path.Combine(results, map.RawNpyFile!)).Shape);
            }
        }
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "jobs.db")}");
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", check.ExecuteScalar());
    }
}
