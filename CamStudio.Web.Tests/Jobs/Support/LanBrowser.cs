using System.Net;
using System.Text.RegularExpressions;
using CamStudio.Web.Access;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// A LAN client of the app on 127.0.0.1: every request carries <see cref="JobsAppFactory.LanPeerHeader"/> (the app
/// sees <paramref name="address"/>; no traffic leaves loopback) and cookies are kept, as a browser would.
/// </summary>
public sealed partial class LanBrowser(Uri server, string address) : IDisposable
{
    private readonly CookieContainer _cookies = new();
    private HttpClient? _client;

    public Uri Server { get; } = server;

    public string Address { get; } = address;

    public HttpClient Client => _client ??= Create();

    /// <summary>The <c>Cookie</c> header this browser sends to the server (for SignalR clients).</summary>
    public string CookieHeader => _cookies.GetCookieHeader(Server);

    private HttpClient Create()
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = _cookies };
        var client = new HttpClient(handler) { BaseAddress = Server };
        client.DefaultRequestHeaders.Add(JobsAppFactory.LanPeerHeader, Address);
        return client;
    }

    /// <summary>Opens a page, reads the sign-in form (with its antiforgery token) and posts the code, like a person would.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string code = JobsAppFactory.Code, string returnUrl = "/jobs")
    {
        var form = await FormFieldsAsync();
        form["code"] = code;
        form["returnUrl"] = returnUrl;
        return await Client.PostAsync("access", new FormUrlEncodedContent(form));
    }

    /// <summary>The hidden fields of the sign-in form (the antiforgery token among them); its cookie is kept.</summary>
    public async Task<Dictionary<string, string>> FormFieldsAsync()
    {
        using var page = await Client.GetAsync("jobs");
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Match token = TokenField().Match(html);
        Assert.True(token.Success, $"No antiforgery field in the sign-in form:\n{html}");
        return new Dictionary<string, string> { [WebUtility.HtmlDecode(token.Groups[1].Value)] = WebUtility.HtmlDecode(token.Groups[2].Value) };
    }

    public bool HasSessionCookie => _cookies.GetCookies(Server)[AccessCodeMiddleware.CookieName] is not null;

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*RequestVerificationToken[^\"]*)\" value=\"([^\"]+)\">")]
    private static partial Regex TokenField();

    public void Dispose() => _client?.Dispose();
}
