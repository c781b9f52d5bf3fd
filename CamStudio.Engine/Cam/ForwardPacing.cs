using System.Diagnostics;
using CamStudio.Engine.Runtime;

namespace CamStudio.Engine.Cam;

/// <summary>
/// Paces the extra forward passes of one explanation: chunk sizes that keep each chunk short, cancellation and a
/// yield hook before every chunk (where the engine runs other sessions' quick work), and throttled progress.
/// </summary>
/// <remarks>
/// A chunk is the unit other sessions wait behind, so its size follows the measured time per pass to stay near a
/// target time instead of a fixed count, and the target follows who is waiting. Alone, chunks grow towards
/// <see cref="TargetChunkTime"/>: on this 2-core machine (scripts/bench.sh --probe) a batch of 8–16 masked copies costs
/// about 0.75× per copy of a batch of one (in float32 and bfloat16 alike) and 32 gains nothing more, so batching pays.
/// Once another owner's quick work has run between two chunks, chunks shrink to <see cref="ContendedChunkTime"/> for
/// <see cref="ContentionMemory"/>: a user clicking through classes waits one short chunk per click, not a long one.
/// Only the first request of a burst can find a long chunk running.
/// The progress sink is called synchronously and only reads a record; <see cref="Progress{T}"/> posts it onwards.
/// </remarks>
public sealed class ForwardPacing
{
    /// <summary>How long one chunk of passes should take at most, roughly, while nobody else is waiting.</summary>
    public static readonly TimeSpan TargetChunkTime = TimeSpan.FromMilliseconds(200);

    /// <summary>How long one chunk should take at most, roughly, while other owners' quick work keeps arriving.</summary>
    public static readonly TimeSpan ContendedChunkTime = TimeSpan.FromMilliseconds(25);

    /// <summary>How long chunks stay short after other owners' work last ran between them.</summary>
    public static readonly TimeSpan ContentionMemory = TimeSpan.FromSeconds(2);

    /// <summary>The largest chunk, whatever the pace.</summary>
    public const int MaxChunk = 16;

    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(100);

    private readonly IProgress<ExplainProgress>? _progress;
    private readonly TorchExecutor? _yieldTo;
    private readonly Stopwatch _clock = new();
    private TimeSpan? _lastReport;
    private double _secondsPerForward;
    private TimeSpan? _othersLastRan;

    /// <param name="totalForwards">Passes the explanation needs in all (for progress; 0 when unknown).</param>
    /// <param name="progress">Told of progress at most about ten times a second, and once at the end.</param>
    /// <param name="yieldTo">
    /// The executor this work runs on, whose other owners' quick work runs before every chunk (null: none, e.g. work
    /// that is itself quick).
    /// </param>
    public ForwardPacing(long totalForwards, IProgress<ExplainProgress>? progress = null, TorchExecutor? yieldTo = null)
    {
        TotalForwards = totalForwards;
        _progress = progress;
        _yieldTo = yieldTo;
    }

    /// <summary>Passes the explanation needs in all.</summary>
    public long TotalForwards { get; }

    /// <summary>Passes done so far.</summary>
    public long DoneForwards { get; private set; }

    /// <summary>How many of <paramref name="remaining"/> passes the next chunk should hold (at least 1).</summary>
    public int NextChunkSize(long remaining)
    {
        if (_yieldTo?.HasQuickWorkOfOthers() == true)
            _othersLastRan = _clock.Elapsed;
        bool contended = _othersLastRan is { } ran && _clock.Elapsed - ran < ContentionMemory;
        TimeSpan target = contended ? ContendedChunkTime : TargetChunkTime;
        int size = _secondsPerForward <= 0
            ? 1
            : (int)Math.Clamp(target.TotalSeconds / _secondsPerForward, 1, MaxChunk);
        return (int)Math.Max(1, Math.Min(size, remaining));
    }

    /// <summary>Before a chunk: observe cancellation, let other owners' quick work run, start the clock.</summary>
    public void BeforeChunk(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _clock.Start();
        if (_yieldTo?.RunQuickWorkOfOthers() > 0)
            _othersLastRan = _clock.Elapsed;
        cancellationToken.ThrowIfCancellationRequested();
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
