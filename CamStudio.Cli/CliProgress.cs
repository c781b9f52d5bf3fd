using CamStudio.Engine.Cam;

namespace CamStudio.Cli;

/// <summary>
/// A slow method's progress as one stderr line updated in place (<c>\r</c>); used only when stderr is a terminal,
/// so logs and pipes stay quiet.
/// </summary>
internal sealed class CliProgress(TextWriter error) : IProgress<ExplainProgress>, IDisposable
{
    private readonly Lock _gate = new();
    private int _shown;

    public void Report(ExplainProgress value)
    {
        string eta = value.Remaining is { } left ? $", ETA {(left.TotalHours >= 1 ? left.ToString(@"h\:mm\:ss") : left.ToString(@"m\:ss"))}" : "";
        string line = $"camstudio: {value.DoneForwards}/{value.TotalForwards} forward passes ({value.Fraction:P0}){eta}";
        lock (_gate)
        {
            error.Write("\r" + line.PadRight(_shown));
            error.Flush();
            _shown = line.Length;
        }
    }

    /// <summary>Erases the line (before other output, and at the end).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            if (_shown == 0)
                return;
            error.Write("\r" + new string(' ', _shown) + "\r");
            error.Flush();
            _shown = 0;
        }
    }

    public void Dispose() => Clear();
}
