using CamStudio.Web.Access;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A new job being filled: its id and folder, the writer that takes its photos, and its quota lease. Disposing an
/// intake that was not committed removes the folder, so a refused or aborted upload leaves nothing behind.
/// </summary>
public sealed class JobIntake : IDisposable
{
    private readonly QuotaLease _lease;

    internal JobIntake(string id, StudioCaller caller, string jobDirectory, PhotoIntake.IntakeWriter writer, QuotaLease lease)
    {
        Id = id;
        Caller = caller;
        JobDirectory = jobDirectory;
        Writer = writer;
        _lease = lease;
    }

    public string Id { get; }

    public StudioCaller Caller { get; }

    public string JobDirectory { get; }

    public PhotoIntake.IntakeWriter Writer { get; }

    internal bool Committed { get; set; }

    /// <summary>
    /// An uploaded ZIP: its central directory is at the end, so it is first stored in the job folder (counted against
    /// the disk's room while it arrives, deleted once extracted), then its entries are taken like any archive's.
    /// </summary>
    public async Task AddUploadedArchiveAsync(Stream upload, string archiveName, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(JobDirectory);
        string path = Path.Combine(JobDirectory, "upload.zip");
        long stored = 0;
        try
        {
            await using var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920,
                FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            var buffer = new byte[81920];
            int read;
            while ((read = await UploadReading.ReadAsync(upload, buffer, cancellationToken)) > 0)
            {
                stored += read;
                Writer.Budget.Charge(read, archiveName, countsForJob: false);
                try
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                catch (IOException ex) when (JobDisk.IsDiskFull(ex))
                {
                    throw new DiskFullException($"disk full: storing '{archiveName}' failed ({StoreRetry.OneLine(ex.Message)}); the job is refused.");
                }
            }
            if (stored == 0)
                throw new JobInputException($"'{archiveName}' is empty (0 bytes): send a ZIP archive of photos.");
            file.Position = 0;
            await Writer.AddArchiveAsync(file, archiveName, cancellationToken);
        }
        finally
        {
            Writer.Budget.Release(stored);
        }
    }

    public void Dispose()
    {
        _lease.Dispose();
        if (!Committed && Directory.Exists(JobDirectory))
            Directory.Delete(JobDirectory, recursive: true);
    }
}

/// <summary>Reading an upload: a failure of the client's stream is the client's error (400), never the server's.</summary>
internal static class UploadReading
{
    public static async ValueTask<int> ReadAsync(Stream upload, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await upload.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or BadHttpRequestException && !IsTooLarge(ex))
        {
            throw new UnreadableUploadException($"The upload could not be read ({StoreRetry.OneLine(ex.Message)}).");
        }
    }

    private static bool IsTooLarge(Exception ex) => ex is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge };
}
