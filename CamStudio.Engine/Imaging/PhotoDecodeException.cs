namespace CamStudio.Engine.Imaging;

/// <summary>What was wrong with a photo, so front ends map it (HTTP status, message placement) without reading words.</summary>
public enum PhotoDecodeErrorKind
{
    /// <summary>The file is damaged, truncated, empty, or not a supported image.</summary>
    Unreadable,

    /// <summary>The file or the image it declares is over a size limit (bytes, pixels, width or height).</summary>
    TooLarge,

    /// <summary>The file does not exist or could not be read from its storage.</summary>
    NotFound,
}

/// <summary>
/// A photo could not be used. The message names the file and says what was wrong, e.g.
/// <c>"cat.jpg: the file is truncated"</c>, and is fit to show to a user as it is.
/// </summary>
public sealed class PhotoDecodeException : Exception
{
    public PhotoDecodeException(string fileName, string reason, Exception? inner = null)
        : this(PhotoDecodeErrorKind.Unreadable, fileName, reason, inner)
    {
    }

    public PhotoDecodeException(PhotoDecodeErrorKind kind, string fileName, string reason, Exception? inner = null)
        : base($"{fileName}: {reason}", inner)
    {
        Kind = kind;
        FileName = fileName;
        Reason = reason;
    }

    /// <summary>What kind of problem it is.</summary>
    public PhotoDecodeErrorKind Kind { get; }

    /// <summary>The file name (no folder) the error is about.</summary>
    public string FileName { get; }

    /// <summary>What was wrong, without the file name.</summary>
    public string Reason { get; }
}
