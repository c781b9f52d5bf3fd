using System.IO.Compression;
using System.Text;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using static CamStudio.Tests.Jobs.Support.TestZips;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// What an intake may write: zip bombs refused by their compression ratio, a full disk (simulated and real), the
/// session quota, macOS archive litter, and skipped entries stored as a count plus the first reasons.
/// </summary>
public sealed class PhotoIntakeLimitsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "camstudio-intake-limits", Guid.NewGuid().ToString("N"));
    private readonly byte[] _png = File.ReadAllBytes(SharedResources.Image("chelsea.png"));

    public PhotoIntakeLimitsTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Input => Path.Combine(_root, "jobs", "0123456789abcdef", "input");

    private long BytesWritten() => Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    /// <summary>Writes <paramref name="megabytes"/> MB of zeros into one entry without holding them in memory.</summary>
    private static void AddZeros(ZipArchive zip, string name, int megabytes)
    {
        using var stream = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        var block = new byte[1024 * 1024];
        for (int i = 0; i < megabytes; i++)
            stream.Write(block);
    }

    [Fact]
    public async Task AZipOfZeroFilledPhotosIsRefusedAsABombBeforeAnyByteIsWritten()
    {
        // 40 "photos" of 48 MB of zeros: about 2 MB of ZIP that declares 1.9 GB (each entry ~1000× its compressed size).
        using var zip = Zip(z =>
        {
            for (int i = 0; i < 40; i++)
                AddZeros(z, $"holiday/{i:D3}.jpg", 48);
        });
        Assert.True(zip.Length is > 1_000_000 and < 3_000_000, $"The ZIP has {zip.Length} bytes");
        var options = new JobOptions { MaxExtractedBytes = 4L << 30 }; // the per-job total alone would let it through
        var ex = await Assert.ThrowsAsync<JobInputException>(() =>
            new PhotoIntake(options).TakeArchiveAsync(zip, "zeros.zip", Input, CancellationToken.None));

        Assert.Contains("decompression bomb", ex.Message);
        Assert.Contains("holiday/000.jpg", ex.Message);
        Assert.Contains("CamStudio:Jobs:MaxCompressionRatio", ex.Message);
        long written = BytesWritten();
        Console.WriteLine($"[measure] 2 MB zero-photo ZIP ({zip.Length} bytes, declaring {40L * 48 << 20} bytes): {written} bytes written to the data folder");
        Assert.Equal(0, written);
    }

    [Fact]
    public async Task AnEntryWhoseHeadersHideItsRatioCannotWriteMoreThanItDeclares()
    {
        // 8 MB of zeros with both size fields patched to the compressed size (ratio 1: nothing to see). The bytes
        // actually inflated are what count: the entry is cut at what it declares, never 8 MB.
        using var honest = Zip(z => AddZeros(z, "bomb.png", 8));
        byte[] bytes = honest.ToArray();
        long compressed;
        using (var read = new ZipArchive(new MemoryStream(bytes)))
            compressed = read.Entries[0].CompressedLength;
        PatchUncompressedSizes(bytes, 8u << 20, (uint)compressed);
        var options = new JobOptions { CompressionRatioFloorBytes = 0, MaxCompressionRatio = 2 };
        Exception? error = await Record.ExceptionAsync(() =>
            new PhotoIntake(options).TakeArchiveAsync(new MemoryStream(bytes), "liar.zip", Input, CancellationToken.None));

        Assert.True(error is null or JobInputException, $"Unexpected {error}");
        Assert.InRange(BytesWritten(), 0, compressed);
    }

    [Fact]
    public async Task MacOsArchiveLitterIsLeftOutSilently()
    {
        using var zip = Zip(z =>
        {
            Add(z, "trip/cat.png", _png);
            Add(z, "__MACOSX/trip/._cat.png", [0, 5, 22, 7]);
            Add(z, "trip/._cat.png", [0, 5, 22, 7]);
            Add(z, "trip/.DS_Store", [0, 0, 0, 1]);
            Add(z, "trip/notes.txt", Encoding.UTF8.GetBytes("x"));
        });
        IntakeResult result = await new PhotoIntake(new JobOptions()).TakeArchiveAsync(zip, "mac.zip", Input, CancellationToken.None);

        Assert.Equal([("trip/cat.png", "0000.png")], result.Photos);
        Assert.Equal(1, result.SkippedCount);
        Assert.Equal("trip/notes.txt", Assert.Single(result.Skipped).Entry);
    }

    [Fact]
    public async Task SkippedEntriesAreCountedButOnlyTheFirstHundredKeepTheirReason()
    {
        using var zip = Zip(z =>
        {
            Add(z, "cat.png", _png);
            for (int i = 0; i < 250; i++)
                Add(z, $"notes/{i:D3}.txt", [(byte)'x']);
        });
        IntakeResult result = await new PhotoIntake(new JobOptions()).TakeArchiveAsync(zip, "many.zip", Input, CancellationToken.None);

        Assert.Single(result.Photos);
        Assert.Equal(250, result.SkippedCount);
        Assert.Equal(100, result.Skipped.Count);
        Assert.Equal("notes/000.txt", result.Skipped[0].Entry);
        Assert.Equal("notes/099.txt", result.Skipped[^1].Entry);
    }

    [Fact]
    public async Task ADiskWithoutRoomAboveTheReserveRefusesTheIntakeAtTheFirstByteOverIt()
    {
        // 1 GiB reserve (the default) and 1 GiB + 3 MB free: the intake may write 3 MB, then stops with "disk full".
        var options = new JobOptions { DataDirectory = _root };
        var disk = new JobDisk(new FakeDiskSpace(options.DiskReserveBytes + 3_000_000), options);
        var budget = new StorageBudget(options.MaxExtractedBytes, disk: disk);
        IncomingPhoto Photo(int i) => new($"p{i}.png", () => new MemoryStream(new byte[1_000_000]));

        var ex = await Assert.ThrowsAsync<DiskFullException>(() =>
            new PhotoIntake(options).TakeFilesAsync([.. Enumerable.Range(0, 6).Select(Photo)], Input, CancellationToken.None, budget));

        Assert.Equal(507, ex.StatusCode);
        Assert.StartsWith("disk full:", ex.Message);
        Assert.Contains(_root, ex.Message);
        Assert.Contains("CamStudio:Jobs:DiskReserveBytes", ex.Message);
        Assert.Contains("p3.png", ex.Message); // p0-p2 fit in 3,000,000 bytes, p3 is the first byte over
        Assert.True(BytesWritten() <= 3_000_000, $"{BytesWritten()} bytes written");
    }

    [Fact]
    public void ADiskAlreadyBelowTheReserveRefusesBeforeAnything()
    {
        var options = new JobOptions { DataDirectory = _root };
        var disk = new JobDisk(new FakeDiskSpace(options.DiskReserveBytes - 1), options);
        var ex = Assert.Throws<DiskFullException>(() => new StorageBudget(options.MaxExtractedBytes, disk: disk));
        Assert.StartsWith("disk full:", ex.Message);
    }

    [Fact]
    public async Task ARealWriteFailureOnAFullFileSystemIsDiskFullNotACrash()
    {
        using var mount = new TmpfsMount(2 * 1024 * 1024);
        string input = Path.Combine(mount.Path, "jobs", "0123456789abcdef", "input");
        var options = new JobOptions { DataDirectory = mount.Path, DiskReserveBytes = 0 };
        // The reserve check passes (no reserve); the kernel then refuses the write with ENOSPC.
        IncomingPhoto Photo(int i) => new($"p{i}.png", () => new MemoryStream(new byte[1_000_000]));
        var ex = await Assert.ThrowsAsync<DiskFullException>(() =>
            new PhotoIntake(options).TakeFilesAsync([.. Enumerable.Range(0, 4).Select(Photo)], input, CancellationToken.None));
        Assert.StartsWith("disk full:", ex.Message);
        Assert.Contains("p2.png", ex.Message); // two 1 MB photos fit in 2 MiB, the third does not
    }

    [Fact]
    public async Task TheSessionQuotaStopsAnIntakeWithItsOwnMessage()
    {
        var budget = new StorageBudget(jobLimit: 10_000_000, quotaLeft: 1_500_000, quotaText: "the 4 GiB this session may store (CamStudio:Jobs:SessionQuotaBytes)");
        IncomingPhoto Photo(int i) => new($"p{i}.png", () => new MemoryStream(new byte[1_000_000]));
        var ex = await Assert.ThrowsAsync<JobLimitException>(() =>
            new PhotoIntake(new JobOptions()).TakeFilesAsync([Photo(0), Photo(1)], Input, CancellationToken.None, budget));
        Assert.Equal(413, ex.StatusCode);
        Assert.Equal("Storage quota reached", ex.Title);
        Assert.Contains("CamStudio:Jobs:SessionQuotaBytes", ex.Message);
        Assert.True(BytesWritten() <= 1_500_000);
    }

    /// <summary>Rewrites every uncompressed-size field equal to <paramref name="actual"/> (local headers and central directory).</summary>
    private static void PatchUncompressedSizes(byte[] zip, uint actual, uint claimed)
    {
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            int offset = BitConverter.ToUInt32(zip, i) switch
            {
                0x04034b50 => i + 22,
                0x02014b50 => i + 24,
                _ => -1,
            };
            if (offset > 0 && offset + 4 <= zip.Length && BitConverter.ToUInt32(zip, offset) == actual)
                BitConverter.TryWriteBytes(zip.AsSpan(offset, 4), claimed);
        }
    }
}
