using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Jobs.Present;

/// <summary>
/// <c>/hubs/present</c>. Followers call <c>Follow()</c> (returns the current <see cref="PresenterUpdate"/>, then
/// receive <c>PresenterUpdate</c> messages). A presenter that is not the in-process explorer (a script, a test)
/// calls <c>Publish(state)</c> / <c>Stop()</c>; the explorer calls <see cref="PresenterSession"/> directly.
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
        return session.Publish(state);
    }

    public void Stop() => session.Stop();
}
