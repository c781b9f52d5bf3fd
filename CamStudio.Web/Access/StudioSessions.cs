using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Access;

/// <summary>
/// The LAN sessions: each browser that enters the code gets a new session; its cookie is the session id and issue
/// time protected by ASP.NET data protection (keys in <c>&lt;data&gt;/keys</c>), so it cannot be forged or moved to
/// another id. A script that sends the code in every request without keeping cookies is one session per address
/// (<c>script:&lt;address&gt;</c>), so its jobs stay its own across requests. Sessions are kept in
/// <c>&lt;data&gt;/sessions.json</c>; a cookie is honoured only while its session is listed there, so revoking
/// (removing) a session signs that browser out at its next request.
/// </summary>
public sealed class StudioSessions
{
    private const string Purpose = "CamStudio.Access.Session.v1";

    /// <summary>Most sessions kept: signing in again and again cannot grow the list (and its file) without end.</summary>
    public const int MaxSessions = 1000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly IDataProtector _protector;
    private readonly string _file;
    private readonly TimeSpan _lifetime;
    private readonly ILogger<StudioSessions> _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StudioSessionInfo> _sessions;

    public StudioSessions(IDataProtectionProvider protection, IOptions<AccessOptions> options, string dataDirectory, ILogger<StudioSessions> logger, TimeProvider? time = null)
    {
        _protector = protection.CreateProtector(Purpose);
        _file = Path.Combine(dataDirectory, "sessions.json");
        _lifetime = options.Value.SessionLifetime;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _sessions = Load();
    }

    /// <summary>Every session, newest first.</summary>
    public IReadOnlyList<StudioSessionInfo> List()
    {
        lock (_gate)
            return [.. _sessions.Values.OrderByDescending(s => s.CreatedUtc)];
    }

    /// <summary>True while the session has not been revoked (nor dropped as expired).</summary>
    public bool IsListed(string id)
    {
        lock (_gate)
            return _sessions.ContainsKey(id);
    }

    /// <summary>A new browser session and the cookie value that proves it.</summary>
    public (StudioSessionInfo Session, string Cookie) StartBrowserSession(string? address, string? userAgent)
    {
        var session = new StudioSessionInfo("s-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)), StudioSessionKind.Browser,
            _time.GetUtcNow(), address, Trim(userAgent));
        lock (_gate)
        {
            Prune();
            _sessions[session.Id] = session;
            Save();
        }
        _logger.LogInformation("Session {Session} started from {Address}", session.Id, address);
        string issued = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return (session, _protector.Protect(session.Id + "|" + issued));
    }

    /// <summary>The session of a script that sends the code itself: one per address, made on first use.</summary>
    public StudioSessionInfo ScriptSession(string address, string? userAgent)
    {
        string id = "script:" + address;
        lock (_gate)
        {
            if (_sessions.TryGetValue(id, out var known))
                return known;
            var session = new StudioSessionInfo(id, StudioSessionKind.Script, _time.GetUtcNow(), address, Trim(userAgent));
            Prune();
            _sessions[id] = session;
            Save();
            _logger.LogInformation("Session {Session} started (code sent with each request)", id);
            return session;
        }
    }

    /// <summary>The session a cookie proves, or null when it is forged, expired, or its session was revoked.</summary>
    public StudioSessionInfo? FromCookie(string? cookie)
    {
        if (string.IsNullOrEmpty(cookie))
            return null;
        string payload;
        try
        {
            payload = _protector.Unprotect(cookie);
        }
        catch (CryptographicException)
        {
            return null; // not ours, tampered with, or made with keys this server no longer has
        }
        int bar = payload.LastIndexOf('|');
        if (bar <= 0 || !long.TryParse(payload.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long issued)
            || _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(issued) > _lifetime)
            return null;
        lock (_gate)
            return _sessions.GetValueOrDefault(payload[..bar]);
    }

    /// <summary>Ends a session: its cookie stops working at once, and its open connections at their next call (<see cref="EndedSessionHubFilter"/>).</summary>
    public bool Revoke(string id)
    {
        lock (_gate)
        {
            if (!_sessions.Remove(id))
                return false;
            Save();
        }
        _logger.LogInformation("Session {Session} revoked by the host", id);
        return true;
    }

    /// <summary>Drops expired browser sessions (their cookies no longer work anyway), then the oldest beyond the cap.</summary>
    private void Prune()
    {
        DateTimeOffset now = _time.GetUtcNow();
        foreach (var expired in _sessions.Values.Where(s => s.Kind == StudioSessionKind.Browser && now - s.CreatedUtc > _lifetime).ToList())
            _sessions.Remove(expired.Id);
        foreach (var oldest in _sessions.Values.OrderBy(s => s.CreatedUtc).Take(Math.Max(0, _sessions.Count - MaxSessions + 1)).ToList())
            _sessions.Remove(oldest.Id);
    }

    private static string? Trim(string? userAgent) => userAgent is { Length: > 200 } ? userAgent[..200] : userAgent;

    private Dictionary<string, StudioSessionInfo> Load()
    {
        try
        {
            if (File.Exists(_file))
                return (JsonSerializer.Deserialize<StudioSessionInfo[]>(File.ReadAllText(_file), Json) ?? []).ToDictionary(s => s.Id);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            _logger.LogWarning("The session list {File} could not be read ({Error}); LAN viewers enter the code again", _file, ex.Message);
        }
        return [];
    }

    private void Save()
    {
        // Written whole and renamed into place: a crash leaves the old list or the new one, never half of one.
        try
        {
            string temp = _file + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(_sessions.Values, Json));
            File.Move(temp, _file, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Sessions still work in memory; they are lost at the next start (viewers then enter the code again).
            _logger.LogWarning("The session list {File} could not be written: {Error}", _file, ex.Message);
        }
    }
}

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<StudioSessionKind>))]
public enum StudioSessionKind
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("browser")]
    Browser,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("script")]
    Script,
}

/// <summary>One LAN session as the host sees it in <c>GET /api/sessions</c>.</summary>
public sealed record StudioSessionInfo(string Id, StudioSessionKind Kind, DateTimeOffset CreatedUtc, string? Address, string? UserAgent);
