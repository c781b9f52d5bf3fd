using System.IO.Compression;
using System.Text;

namespace CamStudio.Web.Jobs;

/// <summary>A photo handed to a new job: its display name and a way to read it.</summary>
public sealed record IncomingPhoto(string Name, Func<Stream> Open);

/// <summary>Photos taken into a job's input folder, and the entries that were left out (with why).</summary>
public sealed record IntakeResult(IReadOnlyList<(string FileName, string InputFile)> Photos, IReadOnlyList<IntakeIssue> Skipped);

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

    /// <summary>Uploaded files (multipart) or files of a server folder.</summary>
    public async Task<IntakeResult> TakeFilesAsync(IReadOnlyList<IncomingPhoto> files, string inputDirectory, CancellationToken cancellationToken)
    {
        var writer = new InputWriter(_options, inputDirectory);
        foreach (IncomingPhoto file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? name = writer.Accept(file.Name, declaredLength: null);
            if (name is null)
                continue;
            await using Stream source = file.Open();
            await writer.CopyAsync(name, source, cancellationToken);
        }
        return writer.Finish();
    }

    /// <summary>The regular files of a folder on the server (not recursive; links are skipped).</summary>
    public Task<IntakeResult> TakeFolderAsync(string folder, string inputDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder))
            throw new JobInputException($"The folder '{folder}' does not exist on the server.");
        var files = new List<IncomingPhoto>();
        var links = new List<IntakeIssue>();
        foreach (var info in new DirectoryInfo(folder).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (info.LinkTarget is not null)
                links.Add(new IntakeIssue(info.Name, "symbolic link: not followed"));
            else
                files.Add(new IncomingPhoto(info.Name, () => info.OpenRead()));
        }
        return TakeWithExtraIssuesAsync(files, links, inputDirectory, cancellationToken);
    }

    private async Task<IntakeResult> TakeWithExtraIssuesAsync(IReadOnlyList<IncomingPhoto> files, IReadOnlyList<IntakeIssue> issues, string inputDirectory, CancellationToken cancellationToken)
    {
        try
        {
            IntakeResult result = await TakeFilesAsync(files, inputDirectory, cancellationToken);
            return result with { Skipped = [.. issues, .. result.Skipped] };
        }
        catch (JobInputException ex) when (issues.Count > 0)
        {
            throw new JobInputException($"{ex.Message} Skipped: {string.Join("; ", issues.Select(i => $"{i.Entry}: {i.Reason}"))}.");
        }
    }

    /// <summary>A ZIP archive (seekable stream). Sizes are checked on the bytes actually inflated, not only the headers.</summary>
    public async Task<IntakeResult> TakeArchiveAsync(Stream archive, string archiveName, string inputDirectory, CancellationToken cancellationToken)
    {
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
            if (zip.Entries.Count > _options.MaxArchiveEntries)
                throw new JobInputException($"'{archiveName}' lists {zip.Entries.Count} entries; at most {_options.MaxArchiveEntries} are accepted.");
            long declared = zip.Entries.Sum(e => Math.Max(0, e.Length));
            if (declared > _options.MaxExtractedBytes)
                throw new JobInputException($"'{archiveName}' declares {declared} uncompressed bytes; at most {_options.MaxExtractedBytes} are accepted.");

            var writer = new InputWriter(_options, inputDirectory);
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
                    continue; // a directory entry
                const int fileTypeMask = 0xF000, symbolicLink = 0xA000;
                if (((entry.ExternalAttributes >> 16) & fileTypeMask) == symbolicLink)
                {
                    writer.Skip(entry.FullName, "symbolic link: not extracted");
                    continue;
                }
                string? name = writer.Accept(entry.FullName, entry.Length);
                if (name is null)
                    continue;
                try
                {
                    await using Stream source = entry.Open();
                    await writer.CopyAsync(name, source, cancellationToken);
                }
                catch (InvalidDataException ex)
                {
                    writer.Skip(entry.FullName, $"damaged entry ({ex.Message})");
                }
            }
            return writer.Finish();
        }
    }

    /// <summary>Names, limits and copying shared by all sources.</summary>
    private sealed class InputWriter(JobOptions options, string inputDirectory)
    {
        private readonly List<(string FileName, string InputFile)> _photos = [];
        private readonly List<IntakeIssue> _skipped = [];
        private readonly Dictionary<string, string> _seen = new(StringComparer.OrdinalIgnoreCase);
        private long _written;

        public void Skip(string entry, string reason) => _skipped.Add(new IntakeIssue(entry, reason));

        /// <summary>The normalised name when the entry may be a photo of this job; null (and a recorded reason) when not.</summary>
        public string? Accept(string rawName, long? declaredLength)
        {
            string? problem = NormaliseName(rawName, out string name);
            if (problem is not null)
            {
                Skip(rawName, problem);
                return null;
            }
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

        public async Task CopyAsync(string name, Stream source, CancellationToken cancellationToken)
        {
            Directory.CreateDirectory(inputDirectory);
            string inputFile = $"{_photos.Count:D4}{Path.GetExtension(name).ToLowerInvariant()}";
            string path = JobFiles.Inside(inputDirectory, inputFile);
            long copied = 0;
            bool tooLarge = false;
            await JobFiles.WriteAtomicallyAsync(path, async target =>
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    copied += read;
                    if (copied > options.MaxPhotoBytes)
                    {
                        tooLarge = true;
                        break;
                    }
                    if (_written + copied > options.MaxExtractedBytes)
                        throw new JobInputException($"The photos inflate to more than {options.MaxExtractedBytes} bytes (stopped at '{name}'); the job is rejected.");
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            });
            if (tooLarge)
            {
                File.Delete(path);
                Skip(name, $"larger than {options.MaxPhotoBytes} bytes once inflated: not extracted");
                _seen.Remove(name);
                return;
            }
            _written += copied;
            _photos.Add((name, inputFile));
        }

        public IntakeResult Finish()
        {
            if (_photos.Count == 0)
            {
                string why = _skipped.Count == 0 ? "nothing was sent" : string.Join("; ", _skipped.Take(10).Select(s => $"{s.Entry}: {s.Reason}"));
                throw new JobInputException($"The job has no photos ({why}).");
            }
            return new IntakeResult(_photos, _skipped);
        }
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
