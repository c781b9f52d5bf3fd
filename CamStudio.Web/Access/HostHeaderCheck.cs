using System.Net;
using System.Net.NetworkInformation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Access;

/// <summary>
/// Answers 400 to a request whose <c>Host</c> is not a name of this server. DNS rebinding points a name the attacker
/// owns (<c>evil.example</c>) at 127.0.0.1, so the host's browser reads the studio as that site, with the host's
/// loopback rights; the rebound requests still carry <c>Host: evil.example</c>, which is what this refuses.
/// Allowed: localhost names, this machine's host name (also <c>.local</c> and with its domain), the addresses of its
/// network interfaces, the hosts the server listens on, <see cref="AccessOptions.AllowedHosts"/> (exact names or
/// <c>*.domain</c>) and the standard <c>AllowedHosts</c> when it is not <c>*</c>. <c>*</c> in
/// <c>CamStudio:AllowedHosts</c> turns the check off.
/// </summary>
public sealed class HostHeaderCheck(RequestDelegate next, IServer server, IOptions<AccessOptions> options, IConfiguration configuration, ILogger<HostHeaderCheck> logger)
{
    private sealed record Rules(HashSet<string> Names, string[] Wildcards, bool Off);

    private Rules? _rules;

    public async Task InvokeAsync(HttpContext context)
    {
        // Made on the first request: the server's addresses are known only once it listens.
        Rules rules = _rules ??= Configure();
        string host = context.Request.Host.Host.Trim('[', ']');
        if (rules.Off || IsAllowed(rules, host))
        {
            await next(context);
            return;
        }
        logger.LogWarning("Refused a request for host {Host} (not a name of this server)", host);
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(
            "Bad request: this CamStudio does not answer to that host name. If it is really this machine's name, add it to CamStudio:AllowedHosts.",
            context.RequestAborted);
    }

    private static bool IsAllowed(Rules rules, string host) =>
        host.Length > 0 && (rules.Names.Contains(host) || rules.Wildcards.Any(w => host.EndsWith(w, StringComparison.OrdinalIgnoreCase) && host.Length > w.Length));

    private Rules Configure()
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "::1" };
        string machine = Dns.GetHostName(); // a local call; no DNS query leaves the machine
        names.Add(machine);
        names.Add(machine + ".local");
        string domain = IPGlobalProperties.GetIPGlobalProperties().DomainName;
        if (!string.IsNullOrEmpty(domain))
            names.Add($"{machine}.{domain}");
        try
        {
            foreach (var address in NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses))
                names.Add(address.Address.ToString().Split('%')[0]);
        }
        catch (NetworkInformationException)
        {
            // No interface list (containers without /proc/net): the listening addresses and settings still count.
        }
        foreach (string url in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            if (Uri.TryCreate(url.Replace("://+", "://plus").Replace("://*", "://star"), UriKind.Absolute, out Uri? uri))
                names.Add(uri.Host.Trim('[', ']'));
        }
        string? standard = configuration["AllowedHosts"];
        IEnumerable<string> configured = options.Value.AllowedHosts
            .Concat(standard is null or "*" ? [] : standard.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var wildcards = new List<string>();
        bool off = false;
        foreach (string entry in configured.Select(e => e.Trim()).Where(e => e.Length > 0))
        {
            if (entry == "*")
                off = true;
            else if (entry.StartsWith("*.", StringComparison.Ordinal))
                wildcards.Add(entry[1..]);
            else
                names.Add(entry.Trim('[', ']'));
        }
        return new Rules(names, [.. wildcards], off);
    }
}
