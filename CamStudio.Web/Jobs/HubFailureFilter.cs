using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Jobs;

/// <summary>
/// Logs the hubs' failed calls itself: a refused call (<see cref="HubException"/>, e.g. Follow of an unknown job)
/// is one warning line, anything else an error with its stack and an id. SignalR's dispatcher would log each refusal
/// as a 1 KB error stack, so its own log category is turned off where this filter is registered.
/// </summary>
public sealed class HubFailureFilter(ILogger<HubFailureFilter> logger) : IHubFilter
{
    /// <summary>The category SignalR logs failed invocations under (silenced: this filter logs them instead).</summary>
    public const string DispatcherCategory = "Microsoft.AspNetCore.SignalR.Internal.DefaultHubDispatcher";

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(invocationContext);
        }
        catch (HubException ex)
        {
            logger.LogWarning("{Hub}.{Method} refused: {Message}", invocationContext.Hub.GetType().Name, invocationContext.HubMethodName,
                StoreRetry.OneLine(ex.Message));
            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            string errorId = ErrorIds.New();
            logger.LogError(ex, "{Hub}.{Method} failed (error id {ErrorId})", invocationContext.Hub.GetType().Name, invocationContext.HubMethodName, errorId);
            // The client gets the id, never the exception's type or text.
            throw new HubException($"{invocationContext.HubMethodName} failed on the server; see the server log (id {errorId}).");
        }
    }

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "{Hub}: a connection failed to start", context.Hub.GetType().Name);
            throw;
        }
    }
}
