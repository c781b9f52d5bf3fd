using System.Diagnostics;

namespace CamStudio.Web.Cluster;

/// <summary>This worker's queue (batches accepted, not yet answered) and its recent photos per second.</summary>
public sealed class WorkerLoad
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private readonly Queue<(long At, int Photos)> _recent = new();
    private int _queue;
    private long _done;

    public int Queue => Volatile.Read(ref _queue);

    public long PhotosDone => Interlocked.Read(ref _done);

    public void Enter() => Interlocked.Increment(ref _queue);

    public void Exit(int photosDone)
    {
        Interlocked.Decrement(ref _queue);
        Interlocked.Add(ref _done, photosDone);
        lock (_gate)
            _recent.Enqueue((Stopwatch.GetTimestamp(), photosDone));
    }

    /// <summary>Photos finished in the last ten seconds, per second.</summary>
    public double PhotosPerSecond()
    {
        lock (_gate)
        {
            while (_recent.Count > 0 && Stopwatch.GetElapsedTime(_recent.Peek().At) > Window)
                _recent.Dequeue();
            return _recent.Sum(r => r.Photos) / Window.TotalSeconds;
        }
    }
}
