using System.Diagnostics;

namespace CamStudio.Engine.Cam;

/// <summary>
/// Paces the extra forward passes of one explanation: chunk sizes that keep each chunk short, cancellation and a
/// yield hook before every chunk (where the engine runs other sessions' quick work), and throttled progress.
/// </summary>
/// <remarks>
/// A chunk is the unit other sessions wait behind, so its size follows the measured time per pass to stay near
/// <see cref="TargetChunkTime"/> instead of a fixed count. The target trades that wait against batching: on this
/// 2-core machine (scripts/bench.sh --probe) a batch of 8–16 masked copies costs about 0.75× per copy of a batch of
/// one (in float32 and bfloat16 alike) and 32 gains nothing more, so chunks grow up to <see cref="MaxChunk"/> copies
/// while they stay under a fifth of a second, the longest another user's Grad-CAM then waits.
/// The progress sink is called synchronously and only reads a record; <see cref="Progress{T}"/> posts it onwards.
/// </remarks>
public sealed class ForwardPacing
{
    /// <summary>How long one chunk of passes should take at most, roughly.</summary>
    public static readonly TimeSpan TargetChunkTime = TimeSpan.FromMilliseconds(200);

    /// <summary>The largest chunk, whatever the pace.</summary>
    public const int MaxChunk = 16;

    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(100);

    private readonly IProgress<ExplainProgress>? _progress;
    private readonly Action? _betweenChunks;
    private readonly Stopwatch _clock = new();
    private TimeSpan? _lastReport;
    private double _secondsPerForward;

    /// <param name="totalForwards">Passes the explanation needs in all (for progress; 0 when unknown).</param>
    /// <param name="progress">Told of progress at most about ten times a second, and once at the end.</param>
    /// <param name="betweenChunks">Called on the torch thread before every chunk (the engine's yield to other sessions).</param>
    public ForwardPacing(long totalForwards, IProgress<ExplainProgress>? progress = null, Action? betweenChunks = null)
    {
        TotalForwards = totalForwards;
        _progress = progress;
        _betweenChunks = betweenChunks;
    }

    /// <summary>Passes the explanation needs in all.</summary>
    public long TotalForwards { get; }

    /// <summary>Passes done so far.</summary>
    public long DoneForwards { get; private set; }

    /// <summary>How many of <paramref name="remaining"/> passes the next chunk should hold (at least 1).</summary>
    public int NextChunkSize(long remaining)
    {
        int size = _secondsPerForward <= 0
            ? 1
            : (int)Math.Clamp(TargetChunkTime.TotalSeconds / _secondsPerForward, 1, MaxChunk);
        return (int)Math.Max(1, Math.Min(size, remaining));
    }

    /// <summary>Before a chunk: observe cancellation, let other work run, start the clock.</summary>
    public void BeforeChunk(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _betweenChunks?.Invoke();
        cancellationToken.ThrowIfCancellationRequested();
        _clock.Start();
    }

    /// <summary>After a chunk of <paramref name="forwards"/> passes: learn the pace, report progress.</summary>
    public void AfterChunk(long forwards, TimeSpan chunkTime)
    {
        DoneForwards += forwards;
        if (forwards > 0)
            _secondsPerForward = chunkTime.TotalSeconds / forwards;
        Report();
    }

    /// <summary>Passes the method found it need not run (duplicates): done, without changing the pace.</summary>
    public void Skip(long forwards)
    {
        if (forwards <= 0)
            return;
        DoneForwards += forwards;
        Report();
    }

    private void Report()
    {
        TimeSpan elapsed = _clock.Elapsed;
        bool last = TotalForwards > 0 && DoneForwards >= TotalForwards;
        if (_progress is null || (!last && _lastReport is { } previous && elapsed - previous < ReportInterval))
            return;
        _lastReport = elapsed;
        TimeSpan? remaining = DoneForwards == 0 || TotalForwards <= 0
            ? null
            : TimeSpan.FromSeconds(elapsed.TotalSeconds / DoneForwards * Math.Max(0, TotalForwards - DoneForwards));
        _progress.Report(new ExplainProgress(DoneForwards, TotalForwards, elapsed, remaining));
    }
}
