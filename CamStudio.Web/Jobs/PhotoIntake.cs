using System.IO.Compression;
using System.Text;

namespace CamStudio.Web.Jobs;

/// <summary>A photo handed to a new job: its display name and a way to read it.</summary>
public sealed record IncomingPhoto(string Name, Func<Stream> Open);

/// <summary>Photos taken into a job's input folder, and the entries that were left out (with why).</summary>
/// <param name="SkippedCount">Every entry left out; <paramref name="Skipped"/> holds the first ones with their reason.</param>
public sealed record IntakeResult(IReadOnlyList<(string FileName, string InputFile)> Photos, IReadOnlyList<IntakeIssue> Skipped, int SkippedCount);

/// <summary>
/// Copies a job's photos (uploaded files, a ZIP archive, or a server folder) into <c>jobs/&lt;id&gt;/input/</c>.
/// Input files are named by position (<c>0000.jpg</c>), so no entry name ever becomes a path. Entries that are
/// unsafe or not photos are skipped with a reason; limits that make the whole job unacceptable throw
/// <see cref="JobInputException"/>. The caller deletes the job folder when intake throws.
/// </summary>
public sealed class PhotoIntake
{
    private static readonly HashSet<string> PhotoExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".tga", ".pbm",
    };

    private static readonly HashSet<string> ArchiveExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".jar",
    };

    private readonly JobOptions _options;

    public PhotoIntake(JobOptions options) => _options = options;

    /// <summary>An intake into <paramref name="inputDirectory"/>: photos and archives are added one by one (streamed uploads).</summary>
    public IntakeWriter Begin(string inputDirectory, StorageBudget? budget = null) =>
        new(_options, inputDirectory, budget ?? StorageBudget.JobOnly(_options));

    /// <summary>Uploaded files (multipart) or files of a server folder.</summary>
    public async Task<IntakeResult> TakeFilesAsync(IReadOnlyList<IncomingPhoto> files, string inputDirectory, CancellationToken cancellationToken, StorageBudget? budget = null)
    {
        IntakeWriter writer = Begin(inputDirectory, budget);
        foreach (IncomingPhoto file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await writer.AddPhotoAsync(file.Name, file.Open, cancellationToken);
        }
        return writer.Finish();
    }

    /// <summary>The regular files of a folder on the server (not recursive; links are skipped).</summary>
    public async Task<IntakeResult> TakeFolderAsync(string folder, string inputDirectory, CancellationToken cancellationToken, StorageBudget? budget = null)
    {
        IntakeWriter writer = Begin(inputDirectory, budget);
        await writer.AddFolderAsync(folder, cancellationToken);
        return writer.Finish();
    }

    /// <summary>A ZIP archive (seekable stream). Sizes are checked on the bytes actually inflated, not only the headers.</summary>
    public async Task<IntakeResult> TakeArchiveAsync(Stream archive, string archiveName, string inputDirectory, CancellationToken cancellationToken, StorageBudget? budget = null)
    {
        IntakeWriter writer = Begin(inputDirectory, budget);
        await writer.AddArchiveAsync(archive, archiveName, cancellationToken);
        return writer.Finish();
    }

    /// <summary>
    /// Names, limits and copying shared by all sources. Every byte written is charged to the job's
    /// <see cref="StorageBudget"/> before it is written; a ZIP entry that inflates more than
    /// <see cref="JobOptions.MaxCompressionRatio"/> times its compressed size refuses the whole archive.
    /// </summary>
    public sealed class IntakeWriter(JobOptions options, string inputDirectory, StorageBudget budget)
    {
        private readonly List<(string FileName, string InputFile)> _photos = [];
        private readonly List<IntakeIssue> _skipped = [];
        private readonly Dictionary<string, string> _seen = new(StringComparer.OrdinalIgnoreCase);
        private int _skippedCount;

        public StorageBudget Budget => budget;

        public int PhotoCount => _photos.Count;

        /// <summary>Records a left-out entry: every one is counted, the first <see cref="JobOptions.MaxSkippedReasons"/> keep their reason.</summary>
        public void Skip(string entry, string reason)
        {
            _skippedCount++;
            if (_skipped.Count < options.MaxSkippedReasons)
                _skipped.Add(new IntakeIssue(entry, reason));
        }

        /// <summary>One uploaded or server file: taken when it may be a photo, else skipped with a reason.</summary>
        public async Task AddPhotoAsync(string rawName, Func<Stream> open, CancellationToken cancellationToken)
        {
            string? name = Accept(rawName, declaredLength: null);
            if (name is null)
                return;
            await using Stream source = open();
            await CopyAsync(name, source, compressed: null, cancellationToken);
        }

        /// <summary>One uploaded file read straight from the request (a multipart section); read errors are the client's.</summary>
        public async Task AddPhotoAsync(string rawName, Stream source, CancellationToken cancellationToken)
        {
            string? name = Accept(rawName, declaredLength: null);
            if (name is null)
                return; // the multipart reader skips the rest of the section
            await CopyAsync(name, source, compressed: null, cancellationToken, upload: true);
        }

        public async Task AddFolderAsync(string folder, CancellationToken cancellationToken)
        {
            if (!Directory.Exists(folder))
                throw new JobInputException($"The folder '{folder}' does not exist on the server.");
            foreach (var info in new DirectoryInfo(folder).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (info.LinkTarget is not null)
                    Skip(info.Name, "symbolic link: not followed");
                else
                    await AddPhotoAsync(info.Name, () => info.OpenRead(), cancellationToken);
            }
        }

        public async Task AddArchiveAsync(Stream archive, string archiveName, CancellationToken cancellationToken)
        {
            if (archive.CanSeek && archive.Length - archive.Position == 0)
                throw new JobInputException($"'{archiveName}' is empty (0 bytes): send a ZIP archive of photos.");
            ZipArchive zip;
            try
            {
                zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: Encoding.UTF8);
            }
            catch (InvalidDataException ex)
            {
                throw new JobInputException($"'{archiveName}' is not a readable ZIP archive ({ex.Message}).");
            }
            using (zip)
            {
                if (zip.Entries.Count > options.MaxArchiveEntries)
                    throw new JobInputException($"'{archiveName}' lists {zip.Entries.Count} entries; at most {options.MaxArchiveEntries} are accepted.");
                long declared = zip.Entries.Sum(e => Math.Max(0, e.Length));
                if (declared > options.MaxExtractedBytes)
                    throw new JobInputException($"'{archiveName}' declares {declared} uncompressed bytes; at most {options.MaxExtractedBytes} are accepted.");
                foreach (ZipArchiveEntry entry in zip.Entries)
                {
                    if (IsBomb(entry.Length, entry.CompressedLength))
                        throw Bomb(archiveName, entry.FullName, entry.Length, entry.CompressedLength, "declares");
                }
                budget.EnsureCanHold(declared, $"'{archiveName}'");

                foreach (ZipArchiveEntry entry in zip.Entries)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                        continue; // a directory entry
                    const int fileTypeMask = 0xF000, symbolicLink = 0xA000;
                    if (((entry.ExternalAttributes >> 16) & fileTypeMask) == symbolicLink)
                    {
                        Skip(entry.FullName, "symbolic link: not extracted");
                        continue;
                    }
                    string? name = Accept(entry.FullName, entry.Length);
                    if (name is null)
                        continue;
                    try
                    {
                        await using Stream source = entry.Open();
                        await CopyAsync(name, source, (archiveName, entry.CompressedLength), cancellationToken);
                    }
                    catch (InvalidDataException ex)
                    {
                        Skip(entry.FullName, $"damaged entry ({ex.Message})");
                    }
                }
            }
        }

        private bool IsBomb(long inflated, long compressed) =>
            inflated > options.CompressionRatioFloorBytes && inflated > options.MaxCompressionRatio * Math.Max(1, compressed);

        private JobInputException Bomb(string archiveName, string entry, long inflated, long compressed, string verb) =>
            new($"'{archiveName}': entry '{entry}' {verb} {inflated} bytes from {compressed} compressed " +
                $"(more than {options.MaxCompressionRatio}× its size, CamStudio:Jobs:MaxCompressionRatio): a decompression bomb is refused.");

        /// <summary>The normalised name when the entry may be a photo of this job; null (and a recorded reason) when not.</summary>
        private string? Accept(string rawName, long? declaredLength)
        {
            string? problem = NormaliseName(rawName, out string name);
            if (problem is not null)
            {
                Skip(rawName, problem);
                return null;
            }
            if (IsMacMetadata(name))
                return null; // Finder's resource forks and folder settings: not photos, and not worth a line
            string extension = Path.GetExtension(name);
            if (ArchiveExtensions.Contains(extension))
            {
                Skip(rawName, "nested archive: archives inside archives are not opened");
                return null;
            }
            if (!PhotoExtensions.Contains(extension))
            {
                Skip(rawName, $"not a photo (extension '{extension}'; accepted: {string.Join(" ", PhotoExtensions.Order())})");
                return null;
            }
            if (_seen.TryGetValue(name, out string? first))
            {
                Skip(rawName, $"duplicate name: same as '{first}'");
                return null;
            }
            if (declaredLength > options.MaxPhotoBytes)
            {
                Skip(rawName, $"declares {declaredLength} bytes; a photo may have at most {options.MaxPhotoBytes}");
                return null;
            }
            if (_photos.Count >= options.MaxPhotos)
                throw new JobInputException($"More than {options.MaxPhotos} photos: a job may hold at most {options.MaxPhotos} (reached at '{rawName}').");
            _seen[name] = rawName;
            return name;
        }

        private async Task CopyAsync(string name, Stream source, (string Archive, long Length)? compressed, CancellationToken cancellationToken, bool upload = false)
        {
            Directory.CreateDirectory(inputDirectory);
            string inputFile = $"{_photos.Count:D4}{Path.GetExtension(name).ToLowerInvariant()}";
            string path = JobFiles.Inside(inputDirectory, inputFile);
            long copied = 0, charged = 0;
            bool tooLarge = false;
            try
            {
                await JobFiles.WriteAtomicallyAsync(path, async target =>
                {
                    var buffer = new byte[81920];
                    int read;
                    while ((read = upload ? await UploadReading.ReadAsync(source, buffer, cancellationToken) : await source.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        copied += read;
                        if (copied > options.MaxPhotoBytes)
                        {
                            tooLarge = true;
                            break;
                        }
                        if (compressed is { } zip && IsBomb(copied, zip.Length))
                            throw Bomb(zip.Archive, name, copied, zip.Length, "inflates to at least");
                        charged += read;
                        budget.Charge(read, name);
                        await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    }
                });
            }
            catch (IOException ex) when (JobDisk.IsDiskFull(ex))
            {
                budget.Release(charged);
                throw new DiskFullException($"disk full: writing '{name}' failed ({ex.Message}); the job is refused.");
            }
            catch
            {
                budget.Release(charged);
                throw;
            }
            if (tooLarge)
            {
                budget.Release(charged);
                File.Delete(path);
                Skip(name, $"larger than {options.MaxPhotoBytes} bytes once inflated: not extracted");
                _seen.Remove(name);
                return;
            }
            _photos.Add((name, inputFile));
        }

        public IntakeResult Finish()
        {
            if (_photos.Count == 0)
            {
                string why = _skippedCount == 0 ? "nothing was sent" : string.Join("; ", _skipped.Take(10).Select(s => $"{s.Entry}: {s.Reason}"));
                if (_skippedCount > 10)
                    why += $"; and {_skippedCount - 10} more";
                throw new JobInputException($"The job has no photos ({why}).");
            }
            return new IntakeResult(_photos, _skipped, _skippedCount);
        }
    }

    /// <summary>macOS archive litter: <c>__MACOSX/</c> resource forks, <c>._name</c> AppleDouble files and <c>.DS_Store</c>.</summary>
    internal static bool IsMacMetadata(string name)
    {
        string[] segments = name.Split('/');
        string last = segments[^1];
        return segments.Any(s => s.Equals("__MACOSX", StringComparison.Ordinal)) || last.StartsWith("._", StringComparison.Ordinal) || last == ".DS_Store";
    }

    /// <summary>
    /// A relative name with '/' separators, NFC, no empty or '.' segments; null when fine, else why it is refused
    /// (absolute paths, drive letters, '..' segments, control characters).
    /// </summary>
    internal static string? NormaliseName(string raw, out string name)
    {
        name = "";
        if (string.IsNullOrWhiteSpace(raw))
            return "empty name";
        if (raw.Any(char.IsControl))
            return "name contains control characters";
        string slashed = raw.Replace('\\', '/');
        if (slashed.StartsWith('/') || (slashed.Length >= 2 && slashed[1] == ':' && char.IsAsciiLetter(slashed[0])))
            return "absolute path: refused";
        var segments = new List<string>();
        foreach (string segment in slashed.Split('/'))
        {
            string s = segment.Trim();
            if (s.Length == 0 || s == ".")
                continue;
            if (s == "..")
                return "path traversal ('..'): refused";
            segments.Add(s.Normalize(NormalizationForm.FormC));
        }
        if (segments.Count == 0)
            return "empty name";
        name = string.Join('/', segments);
        return null;
    }
}
