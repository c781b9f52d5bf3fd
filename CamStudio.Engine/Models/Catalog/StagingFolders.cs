namespace CamStudio.Engine.Models.Catalog;

/// <summary>
/// The work folders of <c>models add</c> (<c>.adding-NAME-GUID</c>), each beside a lock file its process holds while
/// it works. A process that died mid-add (killed, or aborted by native code) leaves its folder behind with nobody
/// holding the lock; the next catalog opened on that folder removes it.
/// </summary>
internal static class StagingFolders
{
    public const string Prefix = ".adding-";
    private const string LockSuffix = ".lock";

    /// <summary>
    /// Takes the lock of <paramref name="stage"/>: an exclusive open (flock on Unix, a share mode on Windows), released
    /// and deleted when disposed, and released by the OS when the process dies.
    /// </summary>
    public static FileStream Lock(string stage) =>
        new(stage + LockSuffix, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);

    /// <summary>Removes every work folder in <paramref name="directory"/> whose lock nobody holds. Never throws.</summary>
    public static void RemoveStale(string directory)
    {
        try
        {
            if (!Directory.Exists(directory))
                return;
            foreach (string stage in Directory.EnumerateDirectories(directory, Prefix + "*"))
            {
                string lockFile = stage + LockSuffix;
                FileStream? held = null;
                try
                {
                    // Open, never create or delete-on-close: a failed open must not touch a running add's lock file.
                    if (File.Exists(lockFile))
                        held = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException)
                {
                    continue; // another process is adding this model right now
                }
                using (held)
                {
                    Directory.Delete(stage, recursive: true);
                    if (held is not null)
                        File.Delete(lockFile);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder that cannot be cleaned is still never listed as a model (its name starts with '.').
        }
    }
}
