using CamStudio.Engine.Runtime;
using CamStudio.Tests.Support;
using TorchSharp;

namespace CamStudio.Tests.Runtime;

[Collection(TorchCollection.Name)]
public sealed class TorchExecutorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task QueuedInteractiveWorkRunsBeforeQueuedBatchWork()
    {
        await using var executor = new TorchExecutor();
        using var gate = new ManualResetEventSlim();
        var order = new List<string>();
        Task blocker = executor.RunAsync(_ => gate.Wait(Patience), WorkPriority.Batch);
        await WaitUntilAsync(() => executor.QueuedCount == 0);

        Task[] queued =
        [
            executor.RunAsync(_ => order.Add("batch 1"), WorkPriority.Batch),
            executor.RunAsync(_ => order.Add("interactive 1"), WorkPriority.Interactive),
            executor.RunAsync(_ => order.Add("batch 2"), WorkPriority.Batch),
            executor.RunAsync(_ => order.Add("interactive 2"), WorkPriority.Interactive),
        ];
        await WaitUntilAsync(() => executor.QueuedCount == 4);
        gate.Set();
        await Task.WhenAll(queued).WaitAsync(Patience);

        Assert.Equal(["interactive 1", "interactive 2", "batch 1", "batch 2"], order);
        await blocker;
    }

    [Fact]
    public async Task WorkCancelledWhileQueuedNeverRuns()
    {
        await using var executor = new TorchExecutor();
        using var gate = new ManualResetEventSlim();
        using var cancellation = new CancellationTokenSource();
        bool ran = false;
        Task blocker = executor.RunAsync(_ => gate.Wait(Patience));
        await WaitUntilAsync(() => executor.QueuedCount == 0);
        Task<int> cancelled = executor.RunAsync(_ =>
        {
            ran = true;
            return 1;
        }, WorkPriority.Interactive, cancellation.Token);
        Task<int> after = executor.RunAsync(_ => 2);

        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Patience));
        gate.Set();

        Assert.Equal(2, await after.WaitAsync(Patience));
        Assert.False(ran);
        await blocker;
    }

    [Fact]
    public async Task ExceptionsFlowToTheTaskAndTheThreadKeepsWorking()
    {
        await using var executor = new TorchExecutor();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            executor.RunAsync<int>(_ => throw new InvalidOperationException("boom")).WaitAsync(Patience));

        Assert.Equal("boom", error.Message);
        Assert.Equal(42, await executor.RunAsync(_ => 42).WaitAsync(Patience));
    }

    [Fact]
    public async Task AllWorkRunsOnOneThreadWhoseGradModeStaysThere()
    {
        await using var executor = new TorchExecutor();
        int callerThread = Environment.CurrentManagedThreadId;

        int firstThread = await executor.RunAsync(_ =>
        {
            torch.set_grad_enabled(false);
            return Environment.CurrentManagedThreadId;
        });
        bool callerGradMode = torch.is_grad_enabled();
        (int secondThread, bool executorGradMode, bool isTorchThread) = await executor.RunAsync(_ =>
        {
            var seen = (Environment.CurrentManagedThreadId, torch.is_grad_enabled(), executor.IsTorchThread);
            torch.set_grad_enabled(true);
            return seen;
        });

        Assert.NotEqual(callerThread, firstThread);
        Assert.Equal(firstThread, secondThread);
        Assert.True(callerGradMode);
        Assert.False(executorGradMode);
        Assert.True(isTorchThread);
        Assert.False(executor.IsTorchThread);
    }

    [Fact]
    public async Task AFullQueueMakesCallersWaitInsteadOfGrowing()
    {
        await using var executor = new TorchExecutor(capacity: 2);
        using var gate = new ManualResetEventSlim();
        Task blocker = executor.RunAsync(_ => gate.Wait(Patience));
        await WaitUntilAsync(() => executor.QueuedCount == 0);

        Task<int>[] work = Enumerable.Range(1, 4).Select(i => executor.RunAsync(_ => i)).ToArray();
        await Task.Delay(200);

        Assert.Equal(2, executor.QueuedCount);
        Assert.All(work, t => Assert.False(t.IsCompleted));
        gate.Set();
        Assert.Equal([1, 2, 3, 4], (await Task.WhenAll(work).WaitAsync(Patience)).Order());
        await blocker;
    }

    [Fact]
    public async Task DisposingCancelsQueuedWorkAndRefusesNewWork()
    {
        var executor = new TorchExecutor();
        using var gate = new ManualResetEventSlim();
        Task blocker = executor.RunAsync(_ => gate.Wait(Patience));
        await WaitUntilAsync(() => executor.QueuedCount == 0);
        Task<int> queued = executor.RunAsync(_ => 1);

        ValueTask disposing = executor.DisposeAsync();
        gate.Set();
        await disposing;

        await blocker;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => executor.RunAsync(_ => 2));
    }

    [Fact]
    public async Task TheWorkSeesItsCancellationToken()
    {
        await using var executor = new TorchExecutor();
        using var cancellation = new CancellationTokenSource();

        Task<int> work = executor.RunAsync(ct =>
        {
            cancellation.Cancel();
            ct.ThrowIfCancellationRequested();
            return 1;
        }, WorkPriority.Batch, cancellation.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => work.WaitAsync(Patience));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The executor did not reach the expected state.");
            await Task.Delay(5);
        }
    }
}
