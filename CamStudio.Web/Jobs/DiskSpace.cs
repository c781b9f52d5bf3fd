namespace CamStudio.Web.Jobs;

/// <summary>Free space of the disk holding a path; an interface so tests can simulate a full disk deterministically.</summary>
public interface IDiskSpace
{
    /// <summary>Bytes an unprivileged writer may still write on the file system of <paramref name="path"/>.</summary>
    long AvailableBytes(string path);
}

/// <summary>The real disk: <see cref="DriveInfo.AvailableFreeSpace"/> (statvfs on Unix) of the nearest existing folder.</summary>
public sealed class DriveDiskSpace : IDiskSpace
{
    public long AvailableBytes(string path)
    {
        string? existing = Path.GetFullPath(path);
        while (existing is not null && !Directory.Exists(existing))
            existing = Path.GetDirectoryName(existing);
        return new DriveInfo(existing ?? Path.GetPathRoot(Path.GetFullPath(path))!).AvailableFreeSpace;
    }
}
