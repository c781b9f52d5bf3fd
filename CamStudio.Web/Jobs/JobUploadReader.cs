using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CamStudio.Web.Jobs;

/// <summary>The text fields of a job upload and which sources it sent.</summary>
public sealed record JobUploadForm(IReadOnlyDictionary<string, List<string>> Fields, int PhotoParts, int ArchiveParts)
{
    public string? Field(string name) => Fields.TryGetValue(name, out var values) ? string.Join(",", values) : null;

    public IReadOnlyList<string> Values(string name) => Fields.TryGetValue(name, out var values) ? values : [];
}

/// <summary>
/// Reads <c>POST /api/jobs</c>' multipart body one section at a time, straight into the job's folder: photos are
/// copied as they arrive, a ZIP is stored once and extracted, and every byte of the body is counted against
/// <see cref="JobOptions.MaxUploadBytes"/> while it is read (no buffering in temp files, no 2 GB before a 413).
/// </summary>
public static class JobUploadReader
{
    private const int MaxFieldChars = 16 * 1024;
    private const int MaxFields = 64;

    /// <summary>The boundary of a <c>multipart/form-data</c> content type, or null when there is none.</summary>
    public static string? Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return null;
        string boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).ToString();
        return boundary.Length is > 0 and <= 200 ? boundary : null;
    }

    public static async Task<JobUploadForm> ReadAsync(Stream body, string boundary, JobIntake intake, long maxBytes, CancellationToken cancellationToken)
    {
        var counted = new UploadLimitStream(body, maxBytes);
        var reader = new MultipartReader(boundary, counted) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        var fields = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        int photos = 0, archives = 0, fieldCount = 0;
        while (await NextSectionAsync(reader, cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                throw new UnreadableUploadException("A part of the form has no 'Content-Disposition: form-data' header.");
            string name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
            if (disposition.IsFileDisposition())
            {
                string fileName = disposition.FileNameStar.HasValue ? disposition.FileNameStar.ToString() : HeaderUtilities.RemoveQuotes(disposition.FileName).ToString();
                switch (name)
                {
                    case "photos":
                        if (archives > 0)
                            throw new JobInputException("Send exactly one source: 'photos', 'archive' or 'folder'.");
                        photos++;
                        await intake.Writer.AddPhotoAsync(fileName, section.Body, cancellationToken);
                        break;
                    case "archive":
                        if (photos > 0)
                            throw new JobInputException("Send exactly one source: 'photos', 'archive' or 'folder'.");
                        if (++archives > 1)
                            throw new JobInputException("Send one ZIP 'archive' per job.");
                        await intake.AddUploadedArchiveAsync(section.Body, fileName, cancellationToken);
                        break;
                    default:
                        break; // an unknown file field is skipped (read through, counted, not stored)
                }
            }
            else
            {
                if (++fieldCount > MaxFields)
                    throw new JobInputException($"The form has more than {MaxFields} fields.");
                string value = await ReadFieldAsync(section.Body, name, cancellationToken);
                if (!fields.TryGetValue(name, out var values))
                    fields[name] = values = [];
                values.Add(value);
            }
        }
        return new JobUploadForm(fields, photos, archives);
    }

    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or BadHttpRequestException { StatusCode: not StatusCodes.Status413PayloadTooLarge })
        {
            throw new UnreadableUploadException($"The upload is not a readable multipart/form-data body ({StoreRetry.OneLine(ex.Message)}).");
        }
    }

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var bytes = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await UploadReading.ReadAsync(body, buffer, cancellationToken)) > 0)
        {
            bytes.Write(buffer, 0, read);
            if (bytes.Length > MaxFieldChars)
                throw new JobInputException($"The form field '{name}' is longer than {MaxFieldChars} bytes.");
        }
        return Encoding.UTF8.GetString(bytes.GetBuffer(), 0, (int)bytes.Length);
    }

    /// <summary>Counts the body's bytes as they are read and refuses (413) the moment the limit is passed.</summary>
    private sealed class UploadLimitStream(Stream inner, long maxBytes) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            if (_read > maxBytes)
                throw new JobLimitException(StatusCodes.Status413PayloadTooLarge, "Upload too large",
                    $"The upload passed {maxBytes} bytes (CamStudio:Jobs:MaxUploadBytes); it was refused while it arrived and nothing of it was kept.");
            return read;
        }
    }
}
