using Microsoft.Data.Sqlite;

namespace CamStudio.Web.Jobs;

/// <summary>
/// The data folder's disk as jobs see it: writes stop while they would leave less than
/// <see cref="JobOptions.DiskReserveBytes"/> free, so a full disk refuses one job instead of stopping the host.
/// </summary>
public sealed class JobDisk(IDiskSpace space, JobOptions options)
{
    public string DataDirectory => options.DataDirectory;

    public long ReserveBytes => options.DiskReserveBytes;

    /// <summary>Bytes jobs may still write: free space minus the reserve (negative when the reserve is already eaten into).</summary>
    public long RoomBytes => space.AvailableBytes(options.DataDirectory) - options.DiskReserveBytes;

    /// <summary>Why jobs cannot write now (null when they can).</summary>
    public string? FullReason(long bytes = 0) => RoomBytes >= bytes ? null : Describe();

    /// <summary>"disk full: … free on the disk of PATH, and jobs keep … free" (the message of every disk refusal).</summary>
    public string Describe()
    {
        long available = space.AvailableBytes(options.DataDirectory);
        return $"disk full: {Size(available)} free on the disk of {options.DataDirectory}, and jobs keep {Size(options.DiskReserveBytes)} free " +
            "(CamStudio:Jobs:DiskReserveBytes); delete finished jobs or free space";
    }

    /// <summary>Throws <see cref="DiskFullException"/> when writing <paramref name="bytes"/> more would eat into the reserve.</summary>
    public void EnsureRoom(long bytes, string what)
    {
        if (FullReason(bytes) is { } reason)
            throw new DiskFullException($"{reason} ({what} needs {Size(bytes)}).");
    }

    /// <summary>True for the errors a full disk gives: ENOSPC / ERROR_DISK_FULL from a write, SQLITE_FULL from the database.</summary>
    public static bool IsDiskFull(Exception exception) => exception switch
    {
        DiskFullException => true,
        SqliteException sqlite => sqlite.SqliteErrorCode == 13,
        IOException io => (io.HResult & 0xFFFF) is 28 or 112 or 39 || io.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase),
        _ => exception.InnerException is { } inner && IsDiskFull(inner),
    };

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.##} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes} bytes",
    };
}
