using CamStudio.Tests.Jobs.Support;
using CamStudio.Web.Access;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.Options;

namespace CamStudio.Tests.Jobs;

/// <summary>Per-session limits on jobs kept and bytes stored; the host has its own (none by default); intakes in flight count.</summary>
public sealed class JobQuotaTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "camstudio-quota-tests", Guid.NewGuid().ToString("N"));
    private readonly JobOptions _options;
    private readonly JobStore _store;
    private readonly JobFiles _files;
    private readonly JobQuota _quota;

    public JobQuotaTests()
    {
        _options = new JobOptions { DataDirectory = _data, SessionMaxJobs = 2, SessionQuotaBytes = 1_000_000 };
        _store = new JobStore(_data);
        _files = new JobFiles(_data);
        _quota = new JobQuota(_store, _files, new JobDisk(new FakeDiskSpace(long.MaxValue / 4), _options), Options.Create(_options));
    }

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private string StoreJob(string? owner, int inputBytes = 0)
    {
        string id = JobFiles.NewId();
        Directory.CreateDirectory(_files.InputDirectory(id));
        File.WriteAllBytes(Path.Combine(_files.InputDirectory(id), "0000.png"), new byte[inputBytes]);
        _store.CreateJob(id, JobSettings.Default, [("a.png", "0000.png")], [], DateTimeOffset.UtcNow, owner);
        return id;
    }

    private static StudioCaller Session(string id) => new(id, IsHost: false);

    [Fact]
    public void ASessionKeepsAtMostItsNumberOfJobsAndOthersAreNotAffected()
    {
        StoreJob("s-alice");
        StoreJob("s-alice");
        var ex = Assert.Throws<JobLimitException>(() => _quota.Open(Session("s-alice")));
        Assert.Equal(403, ex.StatusCode);
        Assert.Contains("keeps 2 jobs", ex.Message);
        Assert.Contains("CamStudio:Jobs:SessionMaxJobs", ex.Message);

        using (_quota.Open(Session("s-bob")))
        {
        }
        for (int i = 0; i < 5; i++)
            StoreJob(owner: null); // the host's
        using (_quota.Open(StudioCaller.Host))
        {
        }
    }

    [Fact]
    public void StoredBytesCountAgainstTheSessionsQuota()
    {
        StoreJob("s-carol", inputBytes: 900_000);
        using QuotaLease lease = _quota.Open(Session("s-carol"));
        lease.Budget.Charge(90_000, "a.png");
        var ex = Assert.Throws<JobLimitException>(() => lease.Budget.Charge(20_000, "b.png"));
        Assert.Equal("Storage quota reached", ex.Title);
        Assert.Contains("CamStudio:Jobs:SessionQuotaBytes", ex.Message);
    }

    [Fact]
    public void IntakesInFlightCountSoParallelUploadsCannotShareTheLastRoom()
    {
        using (QuotaLease first = _quota.Open(Session("s-dave")))
        {
            first.Budget.Charge(600_000, "a.png");
            using QuotaLease second = _quota.Open(Session("s-dave"));
            Assert.Throws<JobLimitException>(() => second.Budget.Charge(500_000, "b.png"));
            // Two intakes open: the job count is used up too.
            Assert.Throws<JobLimitException>(() => _quota.Open(Session("s-dave")));
        }
        using QuotaLease after = _quota.Open(Session("s-dave"));
        after.Budget.Charge(900_000, "c.png");
    }

    [Fact]
    public void AFullQuotaIsRefusedBeforeTheIntakeStarts()
    {
        StoreJob("s-erin", inputBytes: 1_000_000);
        var ex = Assert.Throws<JobLimitException>(() => _quota.Open(Session("s-erin")));
        Assert.Equal(413, ex.StatusCode);
        Assert.Contains("delete finished jobs", ex.Message);
    }
}
