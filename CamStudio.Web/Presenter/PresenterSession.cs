using CamStudio.Web.Access;
using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Presenter;

/// <summary>What the presenter shows: the photo, the settings and the overlays the presenter's explorer rendered.</summary>
/// <param name="PhotoPng">The photo (any browser image format) or null when only overlays are shown.</param>
/// <param name="Overlays">One rendered overlay per class × method, in display order.</param>
/// <param name="Predictions">The photo's top predictions, best first (shown beside the overlay in a room).</param>
/// <param name="ColorBarPng">The colormap's colour bar (PNG), labelled on the page with each overlay's range.</param>
public sealed record PresenterState(
    string PhotoName,
    byte[]? PhotoPng,
    string Model,
    IReadOnlyList<string> Classes,
    IReadOnlyList<string> Methods,
    string Layer,
    string Colormap,
    float Alpha,
    bool SharedScale,
    IReadOnlyList<PresentedOverlay> Overlays,
    IReadOnlyList<PresentedPrediction>? Predictions = null,
    byte[]? ColorBarPng = null);

/// <summary>One overlay as the presenter sees it, with the raw range its colours stand for.</summary>
public sealed record PresentedOverlay(string Method, int ClassIndex, string ClassName, float Probability, byte[] Png, float RangeMin = 0, float RangeMax = 0);

/// <summary>One of the photo's top predictions.</summary>
public sealed record PresentedPrediction(string ClassName, float Probability);

/// <summary>The message followers receive: settings plus URLs of the images (served once from memory).</summary>
public sealed record PresenterUpdate(
    long Version,
    bool Presenting,
    string? PhotoName,
    string? PhotoUrl,
    string? Model,
    IReadOnlyList<string> Classes,
    IReadOnlyList<string> Methods,
    string? Layer,
    string? Colormap,
    float Alpha,
    bool SharedScale,
    IReadOnlyList<PresentedOverlayInfo> Overlays,
    string? Presenter = null,
    IReadOnlyList<PresentedPrediction>? Predictions = null,
    string? ColorBarUrl = null);

public sealed record PresentedOverlayInfo(string Method, int ClassIndex, string ClassName, float Probability, string Url, float RangeMin = 0, float RangeMax = 0);

/// <summary>Who presents: one explorer tab (<paramref name="Id"/>, unique per tab) of a caller's session.</summary>
/// <param name="Name">What followers and other tabs read ("The host", "Visitor 3f2a").</param>
public sealed record PresenterSeat(string Id, string SessionId, string Name)
{
    /// <summary>A new explorer tab's seat for <paramref name="caller"/>.</summary>
    public static PresenterSeat NewTab(StudioCaller caller) => new(Guid.NewGuid().ToString("N"), caller.SessionId, NameOf(caller));

    /// <summary>The seat of a hub client (a script): one per session, so its reconnects keep control.</summary>
    public static PresenterSeat OfHubClient(StudioCaller caller) => new("hub:" + caller.SessionId, caller.SessionId, NameOf(caller));

    private static string NameOf(StudioCaller caller) =>
        caller.IsHost ? "The host" : $"Visitor {caller.SessionId[..Math.Min(4, caller.SessionId.Length)]}";
}

/// <summary>
/// The one live presentation of this server. The presenter's explorer calls <see cref="Publish(PresenterState?, PresenterSeat)"/> with the overlays
/// it already rendered; the server keeps them once and tells followers (Blazor <c>/present</c> pages through
/// <see cref="Subscribe"/>, other clients through <c>/hubs/present</c>) the new version and the image URLs.
/// Exactly one <see cref="PresenterSeat"/> (one explorer tab) presents at a time: another tab that publishes gets
/// <see cref="PresenterBusyException"/> (even a tab of the same session or of the host: two switches must never both
/// say "Presenting"); it may <see cref="TakeOver"/> after asking its user, if it is the host or the same session.
/// A hub client that is the host may take over by publishing (a deliberate API call). Subscribers hear every change
/// of state or presenter, so every switch tells the truth.
/// </summary>
public sealed class PresenterSession(IHubContext<PresenterHub> hub, ILogger<PresenterSession> logger)
{
    public const string MessageName = "PresenterUpdate";
    public const string Group = "followers";

    private readonly Lock _gate = new();
    private readonly List<Action<PresenterUpdate>> _subscribers = [];
    private PresenterState? _state;
    private PresenterSeat? _controller;
    private long _version;

    public PresenterUpdate Current
    {
        get
        {
            lock (_gate)
                return Describe(_state, _controller, _version);
        }
    }

    public bool IsPresenting
    {
        get
        {
            lock (_gate)
                return _controller is not null;
        }
    }

    /// <summary>The session presenting now, or null.</summary>
    public string? Controller
    {
        get
        {
            lock (_gate)
                return _controller?.SessionId;
        }
    }

    /// <summary>The tab presenting now, or null.</summary>
    public PresenterSeat? Seat
    {
        get
        {
            lock (_gate)
                return _controller;
        }
    }

    /// <summary>A hub client's publish: shows <paramref name="state"/> to every follower. Returns the new version.</summary>
    /// <exception cref="PresenterBusyException">Another session is presenting (and <paramref name="by"/> is not the host).</exception>
    public long Publish(PresenterState state, StudioCaller by)
    {
        ArgumentNullException.ThrowIfNull(state);
        PresenterUpdate update;
        lock (_gate)
        {
            EnsureMayControl(by);
            update = SetLocked(state, PresenterSeat.OfHubClient(by));
        }
        Broadcast(update);
        return update.Version;
    }

    /// <summary>
    /// An explorer tab's publish: shows <paramref name="state"/> (null: presenting, nothing drawn yet) when nobody or
    /// this tab presents. Returns the new version.
    /// </summary>
    /// <exception cref="PresenterBusyException">Another tab presents (it says who).</exception>
    public long Publish(PresenterState? state, PresenterSeat seat)
    {
        PresenterUpdate update;
        lock (_gate)
        {
            if (_controller is not null && _controller.Id != seat.Id)
                throw new PresenterBusyException($"{_controller.Name} is presenting.", _controller);
            update = SetLocked(state, seat);
        }
        Broadcast(update);
        return update.Version;
    }

    /// <summary>
    /// Takes the presentation over from whoever presents (the user was asked first). The host may take over from
    /// anyone, a session from its own other tab; a visitor cannot take over from someone else.
    /// </summary>
    /// <exception cref="PresenterBusyException">Another session presents and <paramref name="by"/> is not the host.</exception>
    public long TakeOver(PresenterState? state, PresenterSeat seat, StudioCaller by)
    {
        PresenterUpdate update;
        lock (_gate)
        {
            if (_controller is not null && _controller.SessionId != by.SessionId && !by.IsHost)
                throw new PresenterBusyException($"{_controller.Name} is presenting; only the host can take over. Ask them to stop, then present.", _controller);
            if (_controller is not null && _controller.Id != seat.Id)
                logger.LogInformation("{New} takes the presentation over from {Old}", seat.Name, _controller.Name);
            update = SetLocked(state, seat);
        }
        Broadcast(update);
        return update.Version;
    }

    private PresenterUpdate SetLocked(PresenterState? state, PresenterSeat seat)
    {
        if (_controller?.Id != seat.Id)
            _state = null; // a new presenter never shows the old one's maps
        _state = state ?? _state;
        _controller = seat;
        return Describe(_state, _controller, ++_version);
    }

    /// <summary>Ends the presentation; followers see "nobody is presenting". Nothing happens when nobody presents.</summary>
    /// <exception cref="PresenterBusyException">Another session is presenting (and <paramref name="by"/> is not the host).</exception>
    public void Stop(StudioCaller by)
    {
        PresenterUpdate update;
        lock (_gate)
        {
            if (_controller is null)
                return;
            EnsureMayControl(by);
            update = EndLocked();
        }
        Broadcast(update);
    }

    /// <summary>Ends the presentation only if <paramref name="seat"/> is presenting (a switch turned off, an explorer that closes).</summary>
    public void Release(PresenterSeat seat)
    {
        PresenterUpdate update;
        lock (_gate)
        {
            if (_controller is null || _controller.Id != seat.Id)
                return;
            update = EndLocked();
        }
        Broadcast(update);
    }

    private PresenterUpdate EndLocked()
    {
        _state = null;
        _controller = null;
        return Describe(null, null, ++_version);
    }

    private void EnsureMayControl(StudioCaller by)
    {
        if (_controller is not null && _controller.SessionId != by.SessionId && !by.IsHost)
            throw new PresenterBusyException("Someone else is presenting; you can follow on /present. Only the one who started the presentation (or the host) can change or stop it.", _controller);
    }

    /// <summary>The photo or an overlay of version <paramref name="version"/>; null when that version is gone.</summary>
    public byte[]? Image(long version, string name)
    {
        lock (_gate)
        {
            if (version != _version || _state is null)
                return null;
            if (name == "photo")
                return _state.PhotoPng;
            if (name == "colorbar")
                return _state.ColorBarPng;
            return int.TryParse(name, out int i) && i >= 0 && i < _state.Overlays.Count ? _state.Overlays[i].Png : null;
        }
    }

    public IDisposable Subscribe(Action<PresenterUpdate> onUpdate)
    {
        lock (_gate)
            _subscribers.Add(onUpdate);
        return new Subscription(this, onUpdate);
    }

    private void Broadcast(PresenterUpdate update)
    {
        Action<PresenterUpdate>[] subscribers;
        lock (_gate)
            subscribers = [.. _subscribers];
        foreach (var subscriber in subscribers)
        {
            try
            {
                subscriber(update);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "A presenter follower failed");
            }
        }
        _ = SendAsync(update);
    }

    private async Task SendAsync(PresenterUpdate update)
    {
        try
        {
            await hub.Clients.Group(Group).SendAsync(MessageName, update);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not send presenter update {Version}", update.Version);
        }
    }

    private static PresenterUpdate Describe(PresenterState? state, PresenterSeat? seat, long version)
    {
        if (seat is null)
            return new PresenterUpdate(version, false, null, null, null, [], [], null, null, 0, false, []);
        if (state is null)
            return new PresenterUpdate(version, true, null, null, null, [], [], null, null, 0, false, [], seat.Name);
        string prefix = $"/present/images/{version}/";
        return new PresenterUpdate(version, true, state.PhotoName, state.PhotoPng is null ? null : prefix + "photo",
            state.Model, state.Classes, state.Methods, state.Layer, state.Colormap, state.Alpha, state.SharedScale,
            [.. state.Overlays.Select((o, i) => new PresentedOverlayInfo(o.Method, o.ClassIndex, o.ClassName, o.Probability, prefix + i, o.RangeMin, o.RangeMax))],
            seat.Name, state.Predictions ?? [], state.ColorBarPng is null ? null : prefix + "colorbar");
    }

    private sealed class Subscription(PresenterSession owner, Action<PresenterUpdate> callback) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
                owner._subscribers.Remove(callback);
        }
    }
}

/// <summary>A session or tab tried to publish or stop while another presents (<see cref="Presenter"/>).</summary>
public sealed class PresenterBusyException(string message, PresenterSeat? presenter = null) : InvalidOperationException(message)
{
    public PresenterSeat? Presenter { get; } = presenter;
}
