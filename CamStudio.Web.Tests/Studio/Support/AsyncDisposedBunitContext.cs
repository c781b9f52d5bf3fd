using Bunit;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// A bUnit context whose container is disposed asynchronously: MudBlazor registers services that only implement
/// <see cref="IAsyncDisposable"/>, and a synchronous dispose of the container throws on them. Derived tests release
/// their own resources in <see cref="DisposeOwnAsync"/>.
/// </summary>
public abstract class AsyncDisposedBunitContext : BunitContext, IAsyncLifetime
{
    private bool _disposedAsync;

    public virtual Task InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        _disposedAsync = true;
        await base.DisposeAsync();
        await DisposeOwnAsync();
    }

    /// <summary>What the test itself holds, released after the container.</summary>
    protected virtual Task DisposeOwnAsync() => Task.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        if (!_disposedAsync)
            base.Dispose(disposing);
    }
}
