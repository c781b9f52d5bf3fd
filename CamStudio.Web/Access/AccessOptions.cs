namespace CamStudio.Web.Access;

/// <summary>Settings of LAN access, in the <c>CamStudio</c> section.</summary>
public sealed class AccessOptions
{
    public const string Section = "CamStudio";

    /// <summary>
    /// Origins (<c>https://studio.example:8443</c>) other than the server's own that may send state-changing
    /// requests and open hubs: for a page of your own that drives the studio. Empty: same origin only.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>
    /// Host names requests may carry besides the defaults (localhost names, this machine's name and addresses, the
    /// addresses the server listens on). <c>*</c> turns the check off (then DNS rebinding can read the studio).
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>
    /// True when CamStudio runs behind a reverse proxy on this machine (loopback or a Unix socket): the proxy's
    /// <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> are believed, and a connection without an address (a
    /// Unix socket) counts as the host. The proxy must then send <c>X-Forwarded-For</c> for every client.
    /// </summary>
    public bool TrustedProxy { get; set; }

    /// <summary>Wrong access codes one address may send per minute; the next ones get 429 until the minute ends.</summary>
    public int WrongCodesPerMinute { get; set; } = 10;

    /// <summary>How long a browser session stays signed in without entering the code again.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(30);
}
