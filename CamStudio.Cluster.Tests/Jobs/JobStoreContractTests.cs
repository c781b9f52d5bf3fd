using CamStudio.Cluster.Tests.Support;
using CamStudio.Web.Access;
using CamStudio.Web.Jobs;

namespace CamStudio.Cluster.Tests.Jobs;

/// <summary>
/// What every <see cref="IJobStore"/> must do, run against SQLite (<see cref="SqliteJobStoreTests"/>) and PostgreSQL
/// (<see cref="PostgresJobStoreTests"/>). Expected values are written out by hand from the calls made.
/// </summary>
public abstract class JobStoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

    protected abstract IJobStore Store { get; }

    private static JobSettings Settings => new("mobilenet", ["gradcam", "hirescam"], "top2", "auto")
    {
        Options = new Dictionary<string, string> { ["samples"] = "35", ["scorecam.k"] = "8" },
    };

    private string NewJob(int photos = 3, string? owner = null, DateTimeOffset? created = null)
    {
        string id = JobFiles.NewId();
        Store.CreateJob(id, Settings, [.. Enumerable.Range(0, photos).Select(i => ($"p{i}.png", $"{i:D4}.png"))],
            [new IntakeIssue("bad.txt", "not a photo")], created ?? T0, owner, skippedCount: 5);
        return id;
    }

    [Fact]
    public void ANewJobReadsBackAsQueuedWithItsSettingsPhotosAndSkippedEntries()
    {
        string id = NewJob(owner: "s-alice");
        JobInfo job = Store.GetJob(id)!;
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal("mobilenet", job.Settings.Model);
        Assert.Equal(["gradcam", "hirescam"], job.Settings.Methods);
        Assert.Equal("top2", job.Settings.Classes);
        Assert.Equal("auto", job.Settings.Layer);
        Assert.Equal(new Dictionary<string, string> { ["samples"] = "35", ["scorecam.k"] = "8" }, job.Settings.Options);
        Assert.Equal((3, 0, 0, 0), (job.Total, job.Done, job.Failed, job.Runs));
        Assert.Equal(T0, job.CreatedUtc);
        Assert.Null(job.StartedUtc);
        Assert.Equal("s-alice", job.Owner);
        Assert.Equal(new IntakeIssue("bad.txt", "not a photo"), Assert.Single(job.Skipped));
        Assert.Equal(5, job.SkippedCount);
        Assert.Equal([(0, "p0.png", "0000.png"), (1, "p1.png", "0001.png"), (2, "p2.png", "0002.png")], Store.PendingPhotos(id));
        Assert.Equal("0001.png", Store.InputFileOf(id, 1));
        Assert.Null(Store.InputFileOf(id, 7));
        Assert.True(Store.Exists(id));
        Assert.Null(Store.GetJob("nosuchjob"));
        Assert.Null(Store.UnavailableReason);
    }

    [Fact]
    public void JobsListNewestFirstByOwnerAndHostOwnsJobsWithoutOne()
    {
        string old = NewJob(owner: null, created: T0);
        string mid = NewJob(owner: "s-bob", created: T0.AddMinutes(1));
        string recent = NewJob(owner: null, created: T0.AddMinutes(2));
        Assert.Equal([recent, mid, old], Store.ListJobs().Select(j => j.Id));
        Assert.Equal([recent, old], Store.ListJobs(ownedBy: StudioCaller.HostSessionId).Select(j => j.Id));
        Assert.Equal([mid], Store.ListJobs(ownedBy: "s-bob").Select(j => j.Id));
        Assert.Equal([mid], Store.ListJobs(limit: 1, offset: 1).Select(j => j.Id));
        Assert.Equal(StudioCaller.HostSessionId, Store.GetJob(old)!.Owner);
        Assert.Equal(3, Store.CountJobs());
        Assert.Equal(2, Store.CountJobs(StudioCaller.HostSessionId));
        Assert.Equal([mid], Store.JobIdsOf("s-bob"));
    }

    [Fact]
    public void RunsAreNumberedAndRecordWhereTheyStarted()
    {
        string id = NewJob();
        Assert.Equal(1, Store.StartRun(id, "mobilenet", "abc", 0, T0.AddSeconds(1)));
        Assert.Equal(2, Store.StartRun(id, "mobilenet", "abc", 2, T0.AddSeconds(9)));
        JobInfo job = Store.GetJob(id)!;
        Assert.Equal((JobState.Running, 2, "mobilenet", "abc"), (job.State, job.Runs, job.ModelName, job.ModelSha256));
        Assert.Equal(T0.AddSeconds(1), job.StartedUtc); // the first start stays
        Assert.Equal([new JobRun(1, T0.AddSeconds(1), 0, false), new JobRun(2, T0.AddSeconds(9), 2, true)], Store.ListRuns(id));
    }

    [Fact]
    public void AFinishedPhotoIsWrittenOnceAndASecondWriteChangesNothing()
    {
        string id = NewJob();
        int run = Store.StartRun(id, "mobilenet", "abc", 0, T0);
        var top1 = new JobPrediction(281, "tabby", 0.75f);
        var map = new JobMapFile("gradcam", 281, "tabby", 0.75f, "features.18", "maps/0001.gradcam.281.npy", "overlays/0001.gradcam.281.png") { RawNpyFile = "maps/r.npy" };
        Store.SaveResult(id, 1, run, PhotoState.Done, null, top1, [top1, new JobPrediction(282, "tiger cat", 0.25f)], [map], "thumbs/0001.png", T0.AddSeconds(3), worker: "gpu-box:30000");
        Store.SaveResult(id, 2, run, PhotoState.Failed, "p2.png: not a photo", null, [], [], null, T0.AddSeconds(4));

        Assert.Throws<InvalidOperationException>(() =>
            Store.SaveResult(id, 1, run, PhotoState.Done, null, new JobPrediction(1, "other", 0.5f), [], [], "thumbs/x.png", T0.AddSeconds(5)));

        IReadOnlyList<JobPhoto> photos = Store.ListPhotos(id);
        Assert.Equal([PhotoState.Pending, PhotoState.Done, PhotoState.Failed], photos.Select(p => p.State));
        JobPhoto done = photos[1];
        Assert.Equal((281, "tabby", 0.75f, "thumbs/0001.png", 1), (done.Top1Index, done.Top1Name, done.Top1Probability, done.ThumbnailFile, done.ComputedInRun));
        Assert.Equal(T0.AddSeconds(3), done.ComputedUtc);
        Assert.Equal([top1, new JobPrediction(282, "tiger cat", 0.25f)], done.Predictions);
        Assert.Equal(map, Assert.Single(done.Maps));
        Assert.Equal("maps/r.npy", done.Maps[0].RawNpyFile);
        Assert.NotNull(done.ResultId);
        Assert.Equal("p2.png: not a photo", photos[2].Error);
        Assert.Equal(("gpu-box:30000", null), (done.Worker, photos[2].Worker));
        Assert.Null(photos[0].ResultId);
        Assert.Equal([(0, "p0.png", "0000.png")], Store.PendingPhotos(id));
        JobInfo job = Store.GetJob(id)!;
        Assert.Equal((1, 1, 2), (job.Done, job.Failed, job.Finished));
    }

    [Fact]
    public void ConcurrentWritersOfOnePhotoLeaveExactlyOneResult()
    {
        string id = NewJob(photos: 1);
        int run = Store.StartRun(id, "mobilenet", "abc", 0, T0);
        int wins = 0, losses = 0;
        Parallel.For(0, 8, i =>
        {
            try
            {
                Store.SaveResult(id, 0, run, PhotoState.Done, null, new JobPrediction(i, $"c{i}", 1f), [], [], null, T0);
                Interlocked.Increment(ref wins);
            }
            catch (InvalidOperationException)
            {
                Interlocked.Increment(ref losses);
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException)
            {
                // SQLite may report the loser as busy/constraint instead: still no second row.
                Interlocked.Increment(ref losses);
            }
        });
        Assert.Equal((1, 7), (wins, losses));
        Assert.Equal(1, Store.GetJob(id)!.Done);
    }

    [Fact]
    public void PendingJobsPutInterruptedBeforeQueuedAndMarkingInterruptedTakesOnlyRunningOnes()
    {
        string queuedOld = NewJob(created: T0);
        string running = NewJob(created: T0.AddMinutes(1));
        string done = NewJob(created: T0.AddMinutes(2));
        Store.StartRun(running, "m", "s", 0, T0);
        Store.StartRun(done, "m", "s", 0, T0);
        Assert.True(Store.Finish(done, JobState.Completed, null, T0.AddMinutes(3)));

        Assert.Equal([running, queuedOld], Store.PendingJobIds());
        Assert.Equal([running], Store.MarkRunningAsInterrupted());
        Assert.Equal(JobState.Interrupted, Store.GetJob(running)!.State);
        Assert.Empty(Store.MarkRunningAsInterrupted());
        Assert.Equal([running, queuedOld], Store.PendingJobIds());
    }

    [Fact]
    public void AFinalStateIsSetOnceAndAFinishedJobCannotStartAgain()
    {
        string id = NewJob();
        Assert.True(Store.Finish(id, JobState.Cancelled, "Cancelled.", T0.AddMinutes(1)));
        Assert.False(Store.Finish(id, JobState.Completed, null, T0.AddMinutes(2)));
        JobInfo job = Store.GetJob(id)!;
        Assert.Equal((JobState.Cancelled, "Cancelled.", T0.AddMinutes(1)), (job.State, job.Error, job.FinishedUtc));
        Assert.Throws<InvalidOperationException>(() => Store.StartRun(id, "m", "s", 0, T0));
    }

    [Fact]
    public void DeletingAJobRemovesItsPhotosResultsAndRuns()
    {
        string id = NewJob();
        string other = NewJob();
        int run = Store.StartRun(id, "m", "s", 0, T0);
        Store.SaveResult(id, 0, run, PhotoState.Done, null, null, [], [], null, T0);
        Assert.True(Store.DeleteJob(id));
        Assert.False(Store.DeleteJob(id));
        Assert.False(Store.Exists(id));
        Assert.Empty(Store.ListPhotos(id));
        Assert.Empty(Store.ListRuns(id));
        Assert.Empty(Store.PendingPhotos(id));
        Assert.Equal(3, Store.ListPhotos(other).Count);
    }
}

/// <summary>The contract on the single-machine store (SQLite in a temp folder).</summary>
public sealed class SqliteJobStoreTests : JobStoreContractTests, IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "camstudio-store-contract", Guid.NewGuid().ToString("N"));
    private readonly JobStore _store;

    public SqliteJobStoreTests() => _store = new JobStore(_data);

    protected override IJobStore Store => _store;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }
}

/// <summary>The contract on the cluster's store (a fresh database on the test run's PostgreSQL).</summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresJobStoreTests(ClusterServices services) : JobStoreContractTests, IDisposable
{
    private readonly PostgresJobStore _store = new(services.Postgres.CreateDatabase("store"));

    protected override IJobStore Store => _store;

    public void Dispose() => _store.Dispose();
}
