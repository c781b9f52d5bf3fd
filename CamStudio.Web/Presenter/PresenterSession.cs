using CamStudio.Web.Access;
using Microsoft.AspNetCore.SignalR;

namespace CamStudio.Web.Presenter;

/// <summary>What the presenter shows: the photo, the settings and the overlays the presenter's explorer rendered.</summary>
/// <param name="PhotoPng">The photo (any browser image format) or null when only overlays are shown.</param>
/// <param name="Overlays">One rendered overlay per class × method, in display order.</param>
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
    IReadOnlyList<PresentedOverlay> Overlays);

/// <summary>One overlay as the presenter sees it.</summary>
public sealed record PresentedOverlay(string Method, int ClassIndex, string ClassName, float Probability, byte[] Png);

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
    IReadOnlyList<PresentedOverlayInfo> Overlays);

public sealed record PresentedOverlayInfo(string Method, int ClassIndex, string ClassName, float Probability, string Url);

/// <summary>
/// The one live presentation of this server. The presenter's explorer calls <see cref="Publish"/> with the overlays
/// it already rendered; the server keeps them once and tells followers (Blazor <c>/present</c> pages through
/// <see cref="Subscribe"/>, other clients through <c>/hubs/present</c>) the new version and the image URLs.
/// The session that starts a presentation controls it until it stops; any other session that tries to publish or
/// stop gets <see cref="PresenterBusyException"/> and can only follow. The host may always take over or stop.
/// </summary>
public sealed class PresenterSession(IHubContext<PresenterHub> hub, ILogger<PresenterSession> logger)
{
    public const string MessageName = "PresenterUpdate";
    public const string Group = "followers";

    private readonly Lock _gate = new();
    private readonly List<Action<PresenterUpdate>> _subscribers = [];
    private PresenterState? _state;
    private string? _controller;
    private long _version;

    public PresenterUpdate Current
    {
        get
        {
            lock (_gate)
                return Describe(_state, _version);
        }
    }

    public bool IsPresenting
    {
        get
        {
            lock (_gate)
                return _state is not null;
        }
    }

    /// <summary>The session presenting now, or null.</summary>
    public string? Controller
    {
        get
        {
            lock (_gate)
                return _controller;
        }
    }

    /// <summary>Shows <paramref name="state"/> to every follower. Returns the new version.</summary>
    /// <exception cref="PresenterBusyException">Another session is presenting (and <paramref name="by"/> is not the host).</exception>
    public long Publish(PresenterState state, StudioCaller by)
    {
        ArgumentNullException.ThrowIfNull(state);
        PresenterUpdate update;
        lock (_gate)
        {
            EnsureMayControl(by);
            _state = state;
            _controller = by.SessionId;
            update = Describe(_state, ++_version);
        }
        Broadcast(update);
        return update.Version;
    }

    /// <summary>Ends the presentation; followers see "nobody is presenting". Nothing happens when nobody presents.</summary>
    /// <exception cref="PresenterBusyException">Another session is presenting (and <paramref name="by"/> is not the host).</exception>
    public void Stop(StudioCaller by)
    {
        PresenterUpdate update;
        lock (_gate)
        {
            if (_state is null)
                return;
            EnsureMayControl(by);
            update = EndLocked();
        }
        Broadcast(update);
    }

    /// <summary>Ends the presentation only if <paramref name="by"/> is presenting (an explorer that closes).</summary>
    public void Release(StudioCaller by)
    {
        PresenterUpdate update;
        lock (_gate)
        {
            if (_state is null || _controller != by.SessionId)
                return;
            update = EndLocked();
        }
        Broadcast(update);
    }

    private PresenterUpdate EndLocked()
    {
        _state = null;
        _controller = null;
        return Describe(null, ++_version);
    }

    private void EnsureMayControl(StudioCaller by)
    {
        if (_state is not null && _controller != by.SessionId && !by.IsHost)
            throw new PresenterBusyException("Someone else is presenting; you can follow on /present. Only the one who started the presentation (or the host) can change or stop it.");
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

    private static PresenterUpdate Describe(PresenterState? state, long version)
    {
        if (state is null)
            return new PresenterUpdate(version, false, null, null, null, [], [], null, null, 0, false, []);
        string prefix = $"/present/images/{version}/";
        return new PresenterUpdate(version, true, state.PhotoName, state.PhotoPng is null ? null : prefix + "photo",
            state.Model, state.Classes, state.Methods, state.Layer, state.Colormap, state.Alpha, state.SharedScale,
            [.. state.Overlays.Select((o, i) => new PresentedOverlayInfo(o.Method, o.ClassIndex, o.ClassName, o.Probability, prefix + i))]);
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

/// <summary>A session tried to publish or stop while another session presents.</summary>
public sealed class PresenterBusyException(string message) : InvalidOperationException(message);
