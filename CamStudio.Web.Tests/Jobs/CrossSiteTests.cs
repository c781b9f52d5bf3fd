using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// Requests another site's page makes the host's browser send, against the app on real Kestrel (127.0.0.1, a free
/// port). The browser is played by raw requests carrying the headers a browser adds (Origin, Referer, Host): the
/// host's own loopback connection needs no code, so only these checks stand between a web page and the studio.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CrossSiteTests : IDisposable
{
    private const string Evil = "http://evil.example";
    private readonly JobsAppFactory _app = new(kestrel: true, settings: new Dictionary<string, string>
    {
        ["CamStudio:AllowedOrigins:0"] = "https://studio-dashboard.example:8443",
    });

    public void Dispose() => _app.Dispose();

    private string Own => _app.ServerAddress.GetLeftPart(UriPartial.Authority);

    private HttpClient Host() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _app.ServerAddress };

    private static MultipartFormDataContent FolderJob(string folder) => new() { { new StringContent(folder), "folder" } };

    private async Task<HttpStatusCode> PostJobAsync(Action<HttpRequestHeaders> headers, HttpContent form)
    {
        using var client = Host();
        var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = form };
        headers(request.Headers);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task ACrossOriginFormPostToTheJobsApiIsRefusedAndTheSameOriginIsAccepted()
    {
        string folder = Path.Combine(_app.DataDirectory, "host-photos");
        Directory.CreateDirectory(folder);
        File.Copy(SharedResources.Image("cat.bmp"), Path.Combine(folder, "cat.bmp"));

        // What the attack in the issue did: a form on evil.example posting a server folder to the host's studio.
        Assert.Equal(HttpStatusCode.Forbidden, await PostJobAsync(h => h.Add("Origin", Evil), FolderJob(folder)));
        Assert.Equal(HttpStatusCode.Forbidden, await PostJobAsync(h => h.Add("Origin", "null"), FolderJob(folder))); // sandboxed frame
        Assert.Equal(HttpStatusCode.Forbidden, await PostJobAsync(h => h.Add("Origin", Own.Replace("127.0.0.1", "localhost")), FolderJob(folder)));
        Assert.Equal(HttpStatusCode.Forbidden, await PostJobAsync(h => h.Add("Origin", Own.Replace("http:", "https:")), FolderJob(folder)));
        Assert.Equal(HttpStatusCode.Forbidden, await PostJobAsync(h => h.Referrer = new Uri(Evil + "/page"), FolderJob(folder)));
        Assert.Equal(HttpStatusCode.Forbidden, await PostJobAsync(h => h.Add("Origin", "https://studio-dashboard.example"), FolderJob(folder))); // wrong port
        Assert.Empty(_app.Services.GetRequiredService<JobStore>().ListJobs());

        Assert.Equal(HttpStatusCode.Accepted, await PostJobAsync(h => h.Add("Origin", Own), FolderJob(folder)));
        Assert.Equal(HttpStatusCode.Accepted, await PostJobAsync(h => h.Referrer = new Uri(Own + "/jobs"), FolderJob(folder)));
        Assert.Equal(HttpStatusCode.Accepted, await PostJobAsync(h => h.Add("Origin", "https://studio-dashboard.example:8443"), FolderJob(folder))); // configured
        Assert.Equal(HttpStatusCode.Accepted, await PostJobAsync(_ => { }, FolderJob(folder))); // a script (curl) names no origin
        Assert.Equal(4, _app.Services.GetRequiredService<JobStore>().ListJobs().Count);
    }

    [Theory]
    [InlineData("hubs/present/negotiate?negotiateVersion=1")]
    [InlineData("hubs/jobs/negotiate?negotiateVersion=1")]
    [InlineData("_blazor/negotiate?negotiateVersion=1")]
    public async Task ACrossOriginNegotiateIsRefused(string url)
    {
        using var client = Host();
        var evil = new HttpRequestMessage(HttpMethod.Post, url);
        evil.Headers.Add("Origin", Evil);
        using (var response = await client.SendAsync(evil))
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var own = new HttpRequestMessage(HttpMethod.Post, url);
        own.Headers.Add("Origin", Own);
        using (var response = await client.SendAsync(own))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task ACrossOriginWebSocketToThePresenterIsRefusedAndTheSameOriginConnects()
    {
        var url = new Uri(_app.ServerAddress.ToString().Replace("http://", "ws://") + "hubs/present");

        using var evil = new ClientWebSocket();
        evil.Options.SetRequestHeader("Origin", Evil);
        evil.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(url, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, evil.HttpStatusCode);

        using var own = new ClientWebSocket();
        own.Options.SetRequestHeader("Origin", Own);
        await own.ConnectAsync(url, CancellationToken.None);
        Assert.Equal(WebSocketState.Open, own.State);
        await own.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task ARequestForAnotherHostNameIsRefusedSoDnsRebindingCannotReadHostPhotos()
    {
        string folder = Path.Combine(_app.DataDirectory, "host-photos");
        Directory.CreateDirectory(folder);
        File.Copy(SharedResources.Image("cat.bmp"), Path.Combine(folder, "cat.bmp"));
        using var client = Host();
        string jobId = await JobRequests.SubmitAsync(client, FolderJob(folder));
        string photo = $"api/jobs/{jobId}/photos/0";

        foreach (string url in new[] { photo, "api/jobs", "", "jobs" })
        {
            var rebound = new HttpRequestMessage(HttpMethod.Get, url);
            rebound.Headers.Host = "evil.example:" + _app.ServerAddress.Port;
            using var response = await client.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.DoesNotContain("BM", (await response.Content.ReadAsStringAsync())[..2]);
        }
        foreach (string host in new[] { "localhost", "127.0.0.1", System.Net.Dns.GetHostName() })
        {
            var own = new HttpRequestMessage(HttpMethod.Get, photo);
            own.Headers.Host = $"{host}:{_app.ServerAddress.Port}";
            using var response = await client.SendAsync(own);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(await File.ReadAllBytesAsync(SharedResources.Image("cat.bmp")), await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("api/jobs")]
    [InlineData("api/jobs/0123456789abcdef")]
    [InlineData("app.css")]
    public async Task EveryResponseCarriesTheSecurityHeaders(string url)
    {
        using var client = Host();
        using var response = await client.GetAsync(url);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        string csp = response.Headers.GetValues("Content-Security-Policy").First();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self' 'nonce-", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
    }
}
