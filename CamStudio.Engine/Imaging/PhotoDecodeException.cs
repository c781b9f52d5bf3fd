namespace CamStudio.Engine.Imaging;

/// <summary>
/// A photo could not be used. The message names the file and says what was wrong, e.g.
/// <c>"cat.jpg: the file is truncated"</c>, and is fit to show to a user as it is.
/// </summary>
public sealed class PhotoDecodeException : Exception
{
    public PhotoDecodeException(string fileName, string reason, Exception? inner = null)
        : base($"{fileName}: {reason}", inner)
    {
        FileName = fileName;
        Reason = reason;
    }

    /// <summary>The file name (no folder) the error is about.</summary>
    public string FileName { get; }

    /// <summary>What was wrong, without the file name.</summary>
    public string Reason { get; }
}
