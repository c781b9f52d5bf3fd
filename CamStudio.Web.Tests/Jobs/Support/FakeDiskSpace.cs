using CamStudio.Web.Jobs;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>A disk whose free space the test sets: a full disk, deterministically, without filling a real one.</summary>
public sealed class FakeDiskSpace(long availableBytes) : IDiskSpace
{
    private long _available = availableBytes;

    public long Available
    {
        get => Interlocked.Read(ref _available);
        set => Interlocked.Exchange(ref _available, value);
    }

    public long AvailableBytes(string path) => Available;
}
