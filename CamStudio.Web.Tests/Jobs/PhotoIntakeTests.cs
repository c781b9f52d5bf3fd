using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using static CamStudio.Tests.Jobs.Support.TestZips;

namespace CamStudio.Tests.Jobs;

/// <summary>Bad ZIPs and uploads: each entry is skipped with a reason or the whole job is refused, never a write outside the job folder.</summary>
public sealed partial class PhotoIntakeTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "camstudio-intake-tests", Guid.NewGuid().ToString("N"));
    private readonly string _input;
    private readonly byte[] _png = File.ReadAllBytes(SharedResources.Image("chelsea.png"));
    private readonly byte[] _jpg = File.ReadAllBytes(SharedResources.Image("dog.jpg"));

    public PhotoIntakeTests()
    {
        _input = Path.Combine(_root, "jobs", "0123456789abcdef", "input");
        Directory.CreateDirectory(_root);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static PhotoIntake Intake(Action<JobOptions>? configure = null)
    {
        var options = new JobOptions();
        configure?.Invoke(options);
        return new PhotoIntake(options);
    }

    [GeneratedRegex(@"^\d{4}\.(png|jpg|jpeg|bmp)$")]
    private static partial Regex InputName();

    /// <summary>Every file under the test root is a complete input file named by position inside the input folder.</summary>
    private void AssertOnlyInputFiles(int expected)
    {
        var files = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).ToList();
        Assert.All(files, f =>
        {
            Assert.Equal(_input, Path.GetDirectoryName(f));
            Assert.Matches(InputName(), Path.GetFileName(f));
        });
        Assert.Equal(expected, files.Count);
    }

    private void AssertNothingWritten() =>
        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));

    [Fact]
    public async Task TraversalAndAbsoluteEntriesAreSkippedAndNothingLeavesTheInputFolder()
    {
        using var zip = Zip(z =>
        {
            Add(z, "../evil.png", _png);
            Add(z, "ok/../../../evil2.png", _png);
            Add(z, "/tmp/absolute.png", _png);
            Add(z, "C:/windows/drive.png", _png);
            Add(z, "..\\backslash.png", _png);
            Add(z, "good/cat.png", _png);
        });
        IntakeResult result = await Intake().TakeArchiveAsync(zip, "bad.zip", _input, CancellationToken.None);

        Assert.Equal([("good/cat.png", "0000.png")], result.Photos);
        Assert.Equal(5, result.Skipped.Count);
        Assert.Contains(result.Skipped, s => s.Entry == "../evil.png" && s.Reason.Contains("path traversal"));
        Assert.Contains(result.Skipped, s => s.Entry == "ok/../../../evil2.png" && s.Reason.Contains("path traversal"));
        Assert.Contains(result.Skipped, s => s.Entry == "/tmp/absolute.png" && s.Reason.Contains("absolute path"));
        Assert.Contains(result.Skipped, s => s.Entry == "C:/windows/drive.png" && s.Reason.Contains("absolute path"));
        Assert.Contains(result.Skipped, s => s.Entry == "..\\backslash.png" && s.Reason.Contains("path traversal"));
        AssertOnlyInputFiles(1);
        Assert.Equal(_png, File.ReadAllBytes(Path.Combine(_input, "0000.png")));
    }

    [Fact]
    public async Task SymbolicLinkEntriesAreNotExtracted()
    {
        using var zip = Zip(z =>
        {
            var link = z.CreateEntry("link.png");
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16)); // S_IFLNK | 0777, as Info-ZIP stores links
            using (var s = link.Open())
                s.Write(Encoding.UTF8.GetBytes("../../../../etc/passwd"));
            Add(z, "real.jpg", _jpg);
        });
        IntakeResult result = await Intake().TakeArchiveAsync(zip, "links.zip", _input, CancellationToken.None);

        Assert.Equal([("real.jpg", "0000.jpg")], result.Photos);
        Assert.Equal([new IntakeIssue("link.png", "symbolic link: not extracted")], result.Skipped);
        AssertOnlyInputFiles(1);
    }

    [Fact]
    public async Task AnArchiveDeclaringMoreThanTheLimitIsRefusedBeforeExtracting()
    {
        using var zip = Zip(z =>
        {
            Add(z, "a.png", _png);
            Add(z, "zeros.png", new byte[3_000_000], CompressionLevel.SmallestSize);
        });
        var ex = await Assert.ThrowsAsync<JobInputException>(() =>
            Intake(o => o.MaxExtractedBytes = 2_000_000).TakeArchiveAsync(zip, "bomb.zip", _input, CancellationToken.None));
        Assert.Contains("bomb.zip", ex.Message);
        Assert.Contains("declares", ex.Message);
        AssertNothingWritten();
    }

    [Fact]
    public async Task AnEntryWhoseHeaderUnderstatesItsSizeIsStoppedOnTheActualBytes()
    {
        // 3 MB of zeros deflate to a few KB; the headers are then patched to claim 1,000 bytes.
        using var honest = Zip(z => Add(z, "bomb.png", new byte[3_000_000], CompressionLevel.SmallestSize));
        byte[] bytes = honest.ToArray();
        int patched = PatchUncompressedSizes(bytes, 3_000_000, 1_000);
        Assert.Equal(2, patched); // local header + central directory
        using var lying = new MemoryStream(bytes);

        IntakeResult? result = null;
        Exception? error = await Record.ExceptionAsync(async () =>
            result = await Intake(o => o.MaxPhotoBytes = 100_000).TakeArchiveAsync(lying, "liar.zip", _input, CancellationToken.None));

        // .NET 10's reader stops at the declared size (1,000 bytes reach the disk); a reader that went on would be
        // cut off by the intake's own count of actual bytes. Either way nothing over the limit is written.
        Assert.True(error is JobInputException || result is not null, $"Unexpected {error}");
        Assert.All(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories), f => Assert.True(new FileInfo(f).Length <= 100_000));
        if (error is JobInputException refused)
            Assert.Contains("bomb.png", refused.Message);
    }

    [Fact]
    public async Task LyingHeadersCannotSmuggleMoreThanTheTotalLimit()
    {
        using var honest = Zip(z =>
        {
            for (int i = 0; i < 4; i++)
                Add(z, $"zeros{i}.png", new byte[400_000], CompressionLevel.SmallestSize);
        });
        byte[] bytes = honest.ToArray();
        Assert.Equal(8, PatchUncompressedSizes(bytes, 400_000, 10));
        using var lying = new MemoryStream(bytes);
        IntakeResult? result = null;
        Exception? error = await Record.ExceptionAsync(async () =>
            result = await Intake(o => o.MaxExtractedBytes = 1_000_000).TakeArchiveAsync(lying, "liar.zip", _input, CancellationToken.None));
        long written = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(written <= 1_000_000, $"{written} bytes reached the disk");
        Assert.True(error is JobInputException || result is not null, $"Unexpected {error}");
    }

    [Fact]
    public async Task TheTotalOfActualBytesIsCountedWhileCopying()
    {
        // Streams without a declared length (uploads): only the bytes actually read can trip the limit.
        IncomingPhoto Endless(string name) => new(name, () => new MemoryStream(new byte[600_000]));
        var ex = await Assert.ThrowsAsync<JobLimitException>(() => Intake(o => o.MaxExtractedBytes = 1_000_000)
            .TakeFilesAsync([Endless("a.png"), Endless("b.png"), Endless("c.png")], _input, CancellationToken.None));
        Assert.Equal(413, ex.StatusCode);
        Assert.Contains("more than 1000000 bytes", ex.Message);
        Assert.Contains("b.png", ex.Message);
        // a.png was complete; b.png's partial copy was removed (the caller deletes the job folder on refusal).
        AssertOnlyInputFiles(1);
        Assert.Equal(600_000, new FileInfo(Path.Combine(_input, "0000.png")).Length);
    }

    [Fact]
    public async Task NestedArchivesAndNonPhotosAreSkippedWithTheirReason()
    {
        using var inner = Zip(z => Add(z, "hidden.png", _png));
        using var zip = Zip(z =>
        {
            Add(z, "inner.zip", inner.ToArray());
            Add(z, "more.tar.gz", [1, 2, 3]);
            Add(z, "notes.txt", Encoding.UTF8.GetBytes("hello"));
            Add(z, "script.sh", Encoding.UTF8.GetBytes("#!/bin/sh"));
            z.CreateEntry("folder/");
            Add(z, "folder/photo.JPG", _jpg);
        });
        IntakeResult result = await Intake().TakeArchiveAsync(zip, "mixed.zip", _input, CancellationToken.None);

        Assert.Equal([("folder/photo.JPG", "0000.jpg")], result.Photos);
        Assert.Contains(result.Skipped, s => s.Entry == "inner.zip" && s.Reason.StartsWith("nested archive"));
        Assert.Contains(result.Skipped, s => s.Entry == "more.tar.gz" && s.Reason.StartsWith("nested archive"));
        Assert.Contains(result.Skipped, s => s.Entry == "notes.txt" && s.Reason.StartsWith("not a photo"));
        Assert.Contains(result.Skipped, s => s.Entry == "script.sh" && s.Reason.StartsWith("not a photo"));
        Assert.Equal(4, result.Skipped.Count);
        AssertOnlyInputFiles(1);
    }

    [Fact]
    public async Task NamesThatNormaliseToTheSameAreDuplicates()
    {
        string composed = "caf\u00e9.png", decomposed = "cafe\u0301.png";
        using var zip = Zip(z =>
        {
            Add(z, "a/cat.png", _png);
            Add(z, "a//./cat.png", _png);
            Add(z, "A/CAT.PNG", _png);
            Add(z, "a\\cat.png", _png);
            Add(z, composed, _png);
            Add(z, decomposed, _png);
        });
        IntakeResult result = await Intake().TakeArchiveAsync(zip, "dupes.zip", _input, CancellationToken.None);

        Assert.Equal(["a/cat.png", composed], result.Photos.Select(p => p.FileName));
        Assert.Equal(4, result.Skipped.Count);
        Assert.All(result.Skipped, s => Assert.StartsWith("duplicate name", s.Reason));
        Assert.Contains(result.Skipped, s => s.Entry == decomposed && s.Reason.Contains(composed));
        AssertOnlyInputFiles(2);
    }

    [Fact]
    public async Task AnArchiveWithoutPhotosIsRefusedNamingWhatWasInIt()
    {
        using var zip = Zip(z =>
        {
            Add(z, "readme.md", Encoding.UTF8.GetBytes("# hi"));
            Add(z, "../escape.png", _png);
        });
        var ex = await Assert.ThrowsAsync<JobInputException>(() => Intake().TakeArchiveAsync(zip, "empty.zip", _input, CancellationToken.None));
        Assert.Contains("no photos", ex.Message);
        Assert.Contains("readme.md: not a photo", ex.Message);
        Assert.Contains("../escape.png: path traversal", ex.Message);
        AssertNothingWritten();
    }

    [Fact]
    public async Task AJobOverThePhotoLimitIsRefused()
    {
        using var zip = Zip(z =>
        {
            for (int i = 0; i < 4; i++)
                Add(z, $"p{i}.png", _png);
        });
        var ex = await Assert.ThrowsAsync<JobInputException>(() =>
            Intake(o => o.MaxPhotos = 3).TakeArchiveAsync(zip, "four.zip", _input, CancellationToken.None));
        Assert.Contains("at most 3", ex.Message);
        Assert.Contains("p3.png", ex.Message);
    }

    [Fact]
    public async Task NotAZipIsRefusedWithItsName()
    {
        using var notZip = new MemoryStream(_png);
        var ex = await Assert.ThrowsAsync<JobInputException>(() => Intake().TakeArchiveAsync(notZip, "holiday.zip", _input, CancellationToken.None));
        Assert.Contains("'holiday.zip' is not a readable ZIP archive", ex.Message);
        AssertNothingWritten();
    }

    [Fact]
    public async Task UploadedFilesFollowTheSameRules()
    {
        IncomingPhoto Photo(string name, byte[] bytes) => new(name, () => new MemoryStream(bytes));
        IntakeResult result = await Intake(o => o.MaxPhotoBytes = _png.Length).TakeFilesAsync(
        [
            Photo("../up.png", _png),
            Photo("big.png", new byte[_png.Length + 1]),
            Photo("cat.png", _png),
            Photo("CAT.png", _png),
            Photo("archive.zip", [0x50, 0x4B, 3, 4]),
        ], _input, CancellationToken.None);

        Assert.Equal([("cat.png", "0000.png")], result.Photos);
        Assert.Contains(result.Skipped, s => s.Entry == "../up.png" && s.Reason.Contains("path traversal"));
        Assert.Contains(result.Skipped, s => s.Entry == "big.png" && s.Reason.Contains($"larger than {_png.Length} bytes"));
        Assert.Contains(result.Skipped, s => s.Entry == "CAT.png" && s.Reason.StartsWith("duplicate name"));
        Assert.Contains(result.Skipped, s => s.Entry == "archive.zip" && s.Reason.StartsWith("nested archive"));
        AssertOnlyInputFiles(1);
    }

    [Fact]
    public async Task ServerFoldersSkipLinksAndNonPhotos()
    {
        string folder = Path.Combine(_root, "source");
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, "a.png"), _png);
        File.WriteAllText(Path.Combine(folder, "b.txt"), "text");
        File.CreateSymbolicLink(Path.Combine(folder, "c.png"), Path.Combine(folder, "a.png"));
        IntakeResult result = await Intake().TakeFolderAsync(folder, _input, CancellationToken.None);

        Assert.Equal([("a.png", "0000.png")], result.Photos);
        Assert.Contains(new IntakeIssue("c.png", "symbolic link: not followed"), result.Skipped);
        Assert.Contains(result.Skipped, s => s.Entry == "b.txt" && s.Reason.StartsWith("not a photo"));
        Assert.Single(Directory.EnumerateFiles(_input));
    }

    /// <summary>Rewrites every uncompressed-size field equal to <paramref name="actual"/> (local headers and central directory).</summary>
    private static int PatchUncompressedSizes(byte[] zip, uint actual, uint claimed)
    {
        int patched = 0;
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            uint signature = BitConverter.ToUInt32(zip, i);
            int offset = signature switch
            {
                0x04034b50 => i + 22, // local file header: uncompressed size
                0x02014b50 => i + 24, // central directory header: uncompressed size
                _ => -1,
            };
            if (offset > 0 && offset + 4 <= zip.Length && BitConverter.ToUInt32(zip, offset) == actual)
            {
                BitConverter.TryWriteBytes(zip.AsSpan(offset, 4), claimed);
                patched++;
            }
        }
        return patched;
    }
}
