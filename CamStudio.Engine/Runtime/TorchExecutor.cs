namespace CamStudio.Engine.Runtime;

/// <summary>
/// Runs torch work on one dedicated, long-lived thread, interactive work before batch work.
/// </summary>
/// <remarks>
/// TorchSharp's grad mode and dispose scopes are per thread, and libtorch already uses every core for one
/// operation, so all torch work of the app goes through one executor: callers await <see cref="RunAsync{T}(Func{CancellationToken, T}, WorkPriority, CancellationToken)"/>
/// and never touch tensors themselves. The queue is bounded: when it is full, <see cref="RunAsync{T}(Func{CancellationToken, T}, WorkPriority, CancellationToken)"/> waits
/// (asynchronously) for a free place instead of growing without limit. Work whose token is cancelled while it
/// is queued is dropped without running; once running, the work itself decides when to observe the token.
/// </remarks>
public sealed class TorchExecutor : IAsyncDisposable, IDisposable
{
    public const int DefaultCapacity = 64;

    private readonly object _gate = new();
    private readonly Queue<WorkItem> _interactive = new();
    private readonly Queue<WorkItem> _batch = new();
    private readonly SemaphoreSlim _freePlaces;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private bool _disposed;

    // Torch thread only: the work running now (for its owner and priority), and whether it runs inline.
    private WorkItem? _running;
    private bool _inline;

    /// <param name="capacity">How many pieces of work may wait in the queues together.</param>
    /// <param name="threadName">Name of the torch thread (shows in debuggers and dumps).</param>
    public TorchExecutor(int capacity = DefaultCapacity, string threadName = "CamStudio torch")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _freePlaces = new SemaphoreSlim(capacity, capacity);
        _thread = new Thread(ProcessQueue) { IsBackground = true, Name = threadName };
        _thread.Start();
    }

    /// <summary>How many pieces of work may wait in the queues together.</summary>
    public int Capacity { get; }

    /// <summary>True when called from the executor's torch thread (e.g. inside a piece of work).</summary>
    public bool IsTorchThread => Thread.CurrentThread == _thread;

    /// <summary>Work waiting in both queues (not counting the one running).</summary>
    public int QueuedCount
    {
        get
        {
            lock (_gate)
                return _interactive.Count + _batch.Count;
        }
    }

    /// <summary>
    /// Queues <paramref name="work"/> and completes with its result or exception. Cancelled while queued: the task
    /// is cancelled at once and the work never runs. The work receives the token to observe while it runs.
    /// </summary>
    public Task<T> RunAsync<T>(
        Func<CancellationToken, T> work,
        WorkPriority priority = WorkPriority.Interactive,
        CancellationToken cancellationToken = default) =>
        RunAsync(work, priority, owner: null, WorkCost.Long, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync{T}(Func{CancellationToken, T}, WorkPriority, CancellationToken)"/>, for work of
    /// <paramref name="owner"/> (a session, a job; null: nobody in particular) that costs <paramref name="cost"/>:
    /// <see cref="WorkCost.Quick"/> work may run between the chunks of other owners' long work.
    /// </summary>
    public async Task<T> RunAsync<T>(
        Func<CancellationToken, T> work,
        WorkPriority priority,
        string? owner,
        WorkCost cost,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        cancellationToken.ThrowIfCancellationRequested();

        using (var waitToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token))
        {
            try
            {
                await _freePlaces.WaitAsync(waitToken.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(TorchExecutor), "The torch executor shut down before the work could be queued.");
            }
        }

        var item = new WorkItem<T>(work, cancellationToken) { Owner = owner, Cost = cost, Priority = priority };
        lock (_gate)
        {
            if (_disposed)
            {
                _freePlaces.Release();
                item.Abandon();
                throw new ObjectDisposedException(nameof(TorchExecutor), "The torch executor shut down before the work could be queued.");
            }
            (priority == WorkPriority.Interactive ? _interactive : _batch).Enqueue(item);
            Monitor.Pulse(_gate);
        }
        return await item.Task.ConfigureAwait(false);
    }

    /// <summary>Queues work without a result; see <see cref="RunAsync{T}(Func{CancellationToken, T}, WorkPriority, CancellationToken)"/>.</summary>
    public Task RunAsync(
        Action<CancellationToken> work,
        WorkPriority priority = WorkPriority.Interactive,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync(ct =>
        {
            work(ct);
            return true;
        }, priority, cancellationToken);
    }

    /// <summary>
    /// Called by long work on the torch thread between its chunks: runs, inline and in queue order, the quick work
    /// (<see cref="WorkCost.Quick"/>) of OTHER owners queued right now, so one session's Score-CAM does not make
    /// another's Grad-CAM wait for all of it. Interactive work is taken always, batch work only when the running work
    /// is batch work itself. Each runs in its own dispose scope with grad mode enabled as on a fresh thread, and grad
    /// mode is restored after; failures go to that work's own caller. Returns how many ran. Does nothing when not on
    /// the torch thread, outside a piece of work, or inside work already running inline (no nesting).
    /// </summary>
    /// <remarks>
    /// Why inline rather than splitting long work into queued chunk items: a method's chunks live inside its dispose
    /// scopes and its per-explanation cache on this thread's stack, which a queue of separate items could only keep by
    /// moving every intermediate tensor out and back in. Inline quick work leaves that stack untouched: it opens and
    /// closes its own scope above it, and never yields itself.
    /// </remarks>
    public int RunQuickWorkOfOthers()
    {
        if (!IsTorchThread || _running is null || _inline)
            return 0;
        WorkItem running = _running;
        var taken = new List<WorkItem>();
        lock (_gate)
        {
            if (_disposed)
                return 0;
            TakeQuick(_interactive, running.Owner, taken);
            if (running.Priority == WorkPriority.Batch)
                TakeQuick(_batch, running.Owner, taken);
        }
        if (taken.Count == 0)
            return 0;
        _freePlaces.Release(taken.Count);
        _inline = true;
        try
        {
            foreach (WorkItem item in taken)
            {
                _running = item;
                using IDisposable gradMode = TorchSharp.torch.enable_grad();
                using TorchSharp.DisposeScope scope = TorchSharp.torch.NewDisposeScope();
                item.Execute();
            }
        }
        finally
        {
            _running = running;
            _inline = false;
        }
        return taken.Count;
    }

    /// <summary>
    /// Whether <see cref="RunQuickWorkOfOthers"/> would run anything right now: long work asks before sizing its next
    /// chunk, so the chunk that follows someone else's click is a short one.
    /// </summary>
    public bool HasQuickWorkOfOthers()
    {
        if (!IsTorchThread || _running is null || _inline)
            return false;
        WorkItem running = _running;
        lock (_gate)
            return !_disposed && (HasQuick(_interactive, running.Owner) || (running.Priority == WorkPriority.Batch && HasQuick(_batch, running.Owner)));
    }

    private static bool HasQuick(Queue<WorkItem> queue, string? owner) =>
        queue.Any(item => item.Cost == WorkCost.Quick && !string.Equals(item.Owner, owner, StringComparison.Ordinal));

    private static void TakeQuick(Queue<WorkItem> queue, string? owner, List<WorkItem> taken)
    {
        int count = queue.Count;
        for (int i = 0; i < count; i++)
        {
            WorkItem item = queue.Dequeue();
            if (item.Cost == WorkCost.Quick && !string.Equals(item.Owner, owner, StringComparison.Ordinal))
                taken.Add(item);
            else
                queue.Enqueue(item);
        }
    }

    /// <summary>Stops taking work, cancels what is still queued, and waits for the running work to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        BeginShutdown();
        if (!IsTorchThread)
            await _stopped.Task.ConfigureAwait(false);
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose()
    {
        BeginShutdown();
        if (!IsTorchThread)
            _thread.Join();
    }

    private void BeginShutdown()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
        _shutdown.Cancel();
    }

    private void ProcessQueue()
    {
        try
        {
            while (true)
            {
                WorkItem item;
                bool shuttingDown;
                lock (_gate)
                {
                    while (_interactive.Count == 0 && _batch.Count == 0 && !_disposed)
                        Monitor.Wait(_gate);
                    if (_interactive.Count > 0)
                        item = _interactive.Dequeue();
                    else if (_batch.Count > 0)
                        item = _batch.Dequeue();
                    else
                        return;
                    shuttingDown = _disposed;
                }
                _freePlaces.Release();
                if (shuttingDown)
                {
                    item.Abandon();
                    continue;
                }
                _running = item;
                try
                {
                    item.Execute();
                }
                finally
                {
                    _running = null;
                }
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private abstract class WorkItem
    {
        public string? Owner { get; init; }

        public WorkCost Cost { get; init; }

        public WorkPriority Priority { get; init; }

        /// <summary>Runs the work unless it was cancelled while queued; never throws.</summary>
        public abstract void Execute();

        /// <summary>Cancels the work without running it (shutdown).</summary>
        public abstract void Abandon();
    }

    private sealed class WorkItem<T> : WorkItem
    {
        private readonly Func<CancellationToken, T> _work;
        private readonly CancellationToken _cancellationToken;
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _whileQueued;

        public WorkItem(Func<CancellationToken, T> work, CancellationToken cancellationToken)
        {
            _work = work;
            _cancellationToken = cancellationToken;
            // Cancelling queued work releases its caller at once; the torch thread skips it when it gets there.
            _whileQueued = cancellationToken.Register(() => _completion.TrySetCanceled(cancellationToken));
        }

        public Task<T> Task => _completion.Task;

        public override void Execute()
        {
            // From here on the task completes only when the work has finished, so a caller never races the
            // torch thread on tensors it shares with the work.
            _whileQueued.Dispose();
            if (_completion.Task.IsCompleted)
                return;
            if (_cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(_cancellationToken);
                return;
            }
            try
            {
                _completion.TrySetResult(_work(_cancellationToken));
            }
            catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(_cancellationToken);
            }
            catch (Exception exception)
            {
                _completion.TrySetException(exception);
            }
        }

        public override void Abandon()
        {
            _whileQueued.Dispose();
            _completion.TrySetCanceled();
        }
    }
}
