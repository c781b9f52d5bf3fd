namespace CamStudio.Web.Jobs;

/// <summary>
/// Retries a job-status write that failed on a storage error (a full disk, a busy or unwritable database): a
/// moment later the write often succeeds; when it never does, the caller leaves the job resumable.
/// </summary>
internal static class StoreRetry
{
    private static readonly TimeSpan[] Delays = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2)];

    /// <summary>Runs <paramref name="write"/>; on a storage error tries again after each delay, then rethrows the last error.</summary>
    public static async Task<T> RunAsync<T>(Func<T> write, ILogger logger, string what)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return write();
            }
            catch (Exception ex) when (IsStorageError(ex) && attempt < Delays.Length)
            {
                logger.LogWarning("Writing {What} failed ({Message}); trying again in {Delay} ms", what, OneLine(ex.Message), (int)Delays[attempt].TotalMilliseconds);
                await Task.Delay(Delays[attempt]);
            }
        }
    }

    public static bool IsStorageError(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException or JobsUnavailableException;

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
