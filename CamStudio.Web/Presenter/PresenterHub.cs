using CamStudio.Web.Access;
using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Presenter;

/// <summary>
/// <c>/hubs/present</c>. Followers call <c>Follow()</c> (returns the current <see cref="PresenterUpdate"/>, then
/// receive <c>PresenterUpdate</c> messages). A presenter that is not the in-process explorer (a script, a test)
/// calls <c>Publish(state)</c> / <c>Stop()</c>; the explorer calls <see cref="PresenterSession"/> directly. Only the
/// session presenting (or the host) may publish or stop; others get a hub error saying so.
/// </summary>
public sealed class PresenterHub(PresenterSession session) : Hub
{
    public async Task<PresenterUpdate> Follow()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, PresenterSession.Group);
        return session.Current;
    }

    public Task Unfollow() => Groups.RemoveFromGroupAsync(Context.ConnectionId, PresenterSession.Group);

    public long Publish(PresenterState state)
    {
        if (state.Overlays.Any(o => o.Png.Length == 0))
            throw new HubException("Every overlay needs its PNG bytes.");
        try
        {
            return session.Publish(state, Caller);
        }
        catch (PresenterBusyException ex)
        {
            throw new HubException(ex.Message);
        }
    }

    public void Stop()
    {
        try
        {
            session.Stop(Caller);
        }
        catch (PresenterBusyException ex)
        {
            throw new HubException(ex.Message);
        }
    }

    private StudioCaller Caller => StudioCaller.FromPrincipal(Context.User)
        ?? throw new HubException("This connection has no CamStudio caller.");
}
