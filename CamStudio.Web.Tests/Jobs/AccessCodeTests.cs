using System.Net;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Web.Access;
using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Configuration;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// LAN access: a non-loopback peer (simulated with a test-only startup filter that sets RemoteIpAddress; no traffic
/// leaves 127.0.0.1) needs the access code for pages, API and hubs; loopback never does.
/// </summary>
public sealed class AccessCodeTests : IDisposable
{
    private const string LanPeer = "192.168.1.20";
    private readonly JobsAppFactory _app = new(kestrel: true);

    public void Dispose() => _app.Dispose();

    private HttpClient Client(bool lan, string? header = null)
    {
        var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        var client = new HttpClient(handler) { BaseAddress = _app.ServerAddress };
        if (lan)
            client.DefaultRequestHeaders.Add(JobsAppFactory.LanPeerHeader, LanPeer);
        if (header is not null)
            client.DefaultRequestHeaders.Add(AccessCodeMiddleware.HeaderName, header);
        return client;
    }

    private const string Negotiate = "hubs/jobs/negotiate?negotiateVersion=1";

    [Theory]
    [InlineData("api/jobs", "GET")]
    [InlineData(Negotiate, "POST")]
    [InlineData("hubs/present/negotiate?negotiateVersion=1", "POST")]
    public async Task ALanPeerWithoutTheCodeGets401ProblemsFromApiAndHubs(string url, string method)
    {
        using var client = Client(lan: true);
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(AccessCodeMiddleware.HeaderName, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ALanPeerWithoutTheCodeGetsTheCodeFormForPages()
    {
        using var client = Client(lan: true);
        foreach (string page in new[] { "", "jobs", "present", "app.css" })
        {
            using var response = await client.GetAsync(page);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            string html = await response.Content.ReadAsStringAsync();
            Assert.Contains("Enter the access code", html);
            Assert.Contains("<form method=\"post\" action=\"/access\">", html);
            Assert.DoesNotContain("blazor.web.js", html);
        }
    }

    [Fact]
    public async Task AWrongCodeIsRefusedEverywhere()
    {
        using var client = Client(lan: true, header: "AAAA-BBBB");
        using (var api = await client.GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        using (var hub = await client.PostAsync(Negotiate, null))
            Assert.Equal(HttpStatusCode.Unauthorized, hub.StatusCode);
        using var page = await Client(lan: true).GetAsync("jobs?code=AAAA-BBBB");
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Contains("not right", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheHeaderOpensApiAndHubs()
    {
        using var client = Client(lan: true, header: JobsAppFactory.Code.ToLowerInvariant()); // case does not matter
        using (var api = await client.GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        using (var hub = await client.PostAsync(Negotiate, null))
            Assert.Equal(HttpStatusCode.OK, hub.StatusCode);
        using var page = await client.GetAsync("jobs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task TheQueryCodeSetsAnHttpOnlyCookieAndRedirectsWithoutIt()
    {
        using var client = Client(lan: true);
        using var response = await client.GetAsync($"jobs?code={JobsAppFactory.Code}&x=1");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/jobs?x=1", response.Headers.Location?.OriginalString);
        string cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(AccessCodeMiddleware.CookieName + "=", cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(JobsAppFactory.Code, cookie); // the cookie holds a protected session id, not the code
        string pair = cookie.Split(';')[0];

        foreach (var (url, method) in new[] { ("jobs?x=1", "GET"), ("api/jobs", "GET"), (Negotiate, "POST") })
        {
            var request = new HttpRequestMessage(new HttpMethod(method), url);
            request.Headers.Add("Cookie", pair);
            using var withCookie = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);
        }
    }

    [Fact]
    public async Task TheFormSetsTheCookieForTheReturnUrlAndRefusesForeignRedirects()
    {
        using var browser = new LanBrowser(_app.ServerAddress, LanPeer);
        using var good = await browser.SignInAsync($" {JobsAppFactory.Code} ", "/jobs");
        Assert.Equal(HttpStatusCode.Redirect, good.StatusCode);
        Assert.Equal("/jobs", good.Headers.Location?.OriginalString);
        Assert.Contains(good.Headers.GetValues("Set-Cookie"), c => c.StartsWith(AccessCodeMiddleware.CookieName));
        using (var page = await browser.Client.GetAsync("jobs"))
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        using var other = new LanBrowser(_app.ServerAddress, LanPeer);
        using var foreign = await other.SignInAsync(JobsAppFactory.Code, "//evil.example/");
        Assert.Equal("/", foreign.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task AServerWithAShortCodeRefusesToStartAndSaysWhy()
    {
        string data = Path.Combine(_app.DataDirectory, "short-code");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => WebAppProcess.StartAsync(data, TestModels.Directory,
            new Dictionary<string, string> { ["CamStudio:AccessCode"] = "abc123" }));
        Assert.Contains("exited with 2", refused.Message);
        Assert.Contains("CamStudio cannot start: The access code set in CamStudio:AccessCode or --access-code has 6 characters; it needs at least 8", refused.Message);
        Assert.DoesNotContain("   at ", refused.Message); // no stack trace
    }

    [Theory]
    [InlineData("short")]
    [InlineData("1234567")]
    public void AChosenCodeShorterThanEightCharactersIsRefused(string code)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["CamStudio:AccessCode"] = code }).Build();
        var refused = Assert.Throws<CamStudio.Web.Hosting.StartupRefusedException>(() => AccessCode.FromConfiguration(configuration));
        Assert.Contains("at least 8", refused.Message);
        Assert.Equal("12345678", AccessCode.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["CamStudio:AccessCode"] = "12345678" }).Build()).Code);
    }

    [Fact]
    public async Task LoopbackNeedsNoCode()
    {
        using var client = Client(lan: false);
        foreach (string url in new[] { "", "jobs", "present", "api/jobs" })
        {
            using var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using var hub = await client.PostAsync(Negotiate, null);
        Assert.Equal(HttpStatusCode.OK, hub.StatusCode);
    }

    [Fact]
    public async Task TheSignalRClientConnectsFromTheLanOnlyWithTheCode()
    {
        HubConnection Connect(string? code) => new HubConnectionBuilder()
            .WithUrl(new Uri(_app.ServerAddress, "hubs/jobs"), options =>
            {
                options.Headers[JobsAppFactory.LanPeerHeader] = LanPeer;
                if (code is not null)
                    options.Headers[AccessCodeMiddleware.HeaderName] = code;
            })
            .Build();

        await using var refused = Connect(null);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => refused.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);

        await using var admitted = Connect(JobsAppFactory.Code);
        await admitted.StartAsync();
        var hubError = await Assert.ThrowsAsync<HubException>(() => admitted.InvokeAsync<JobProgress>("Follow", "0123456789abcdef"));
        Assert.Contains("no job", hubError.Message);

        // ?code= on the hub URL works for negotiate and the websocket alike.
        await using var byQuery = new HubConnectionBuilder()
            .WithUrl(new Uri(_app.ServerAddress, $"hubs/jobs?code={JobsAppFactory.Code}&testLanPeer={LanPeer}"))
            .Build();
        await byQuery.StartAsync();
        Assert.Equal(HubConnectionState.Connected, byQuery.State);
    }

    [Theory]
    [InlineData("CamStudio:AccessCode", "ABCD-EFGH")]
    [InlineData("access-code", "WXYZ-2345")] // --access-code on the command line
    public void TheCodeComesFromSettingsOrTheCommandLine(string key, string value)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        AccessCode code = AccessCode.FromConfiguration(configuration);
        Assert.Equal(value, code.Code);
        Assert.False(code.Generated);
        Assert.True(AccessCode.FromConfiguration(new ConfigurationBuilder().Build()).Generated);
    }

    [Fact]
    public void GeneratedCodesLookLikeXXXXDashXXXXAndDiffer()
    {
        string a = AccessCode.Generate(), b = AccessCode.Generate();
        Assert.Matches("^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$", a);
        Assert.NotEqual(a, b);
        var code = new AccessCode(a, generated: true);
        Assert.True(code.Matches(a.ToLowerInvariant()));
        Assert.False(code.Matches(b));
        Assert.False(code.Matches(null));
        Assert.False(code.Matches(""));
    }
}
