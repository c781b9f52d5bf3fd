using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Access;
using CamStudio.Web.Jobs;
using CamStudio.Web.Presenter;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// Identities on the LAN, against the app on real Kestrel (127.0.0.1, a free port); LAN machines are simulated by
/// the test-only address header (<see cref="JobsAppFactory.LanPeerHeader"/>), so no traffic leaves loopback.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LanSessionTests(ITestOutputHelper output) : IDisposable
{
    private readonly JobsAppFactory _app = new(kestrel: true);

    public void Dispose() => _app.Dispose();

    private HttpClient Host() => new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _app.ServerAddress };

    private HttpClient Script(string address, string? code)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _app.ServerAddress };
        client.DefaultRequestHeaders.Add(JobsAppFactory.LanPeerHeader, address);
        if (code is not null)
            client.DefaultRequestHeaders.Add(AccessCodeMiddleware.HeaderName, code);
        return client;
    }

    private static async Task<string[]> JobIdsAsync(HttpClient client)
    {
        using var response = await client.GetAsync("api/jobs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement page = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(page.GetProperty("jobs").GetArrayLength(), page.GetProperty("total").GetInt32()); // the count is of visible jobs too
        return [.. page.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("jobId").GetString()!)];
    }

    [Fact]
    public async Task EachSignInIsItsOwnSessionAndSessionsSeeOnlyTheirOwnJobsWhileTheHostSeesAll()
    {
        // Two browsers on the same LAN machine are still two sessions; a script sending the code is a third.
        using var alice = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        using var bob = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        using (var signedIn = await alice.SignInAsync())
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        using (var signedIn = await bob.SignInAsync())
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.NotEqual(alice.CookieHeader, bob.CookieHeader);
        using var script = Script("192.168.1.30", JobsAppFactory.Code);

        string aliceJob = await JobRequests.SubmitAsync(alice.Client, JobRequests.Photos(1));
        string bobJob = await JobRequests.SubmitAsync(bob.Client, JobRequests.Photos(1));
        string scriptJob = await JobRequests.SubmitAsync(script, JobRequests.Photos(1));
        using var host = Host();
        await JobRequests.WaitForEndAsync(host, aliceJob);
        await JobRequests.WaitForEndAsync(host, bobJob);

        Assert.Equal([aliceJob], await JobIdsAsync(alice.Client));
        Assert.Equal([bobJob], await JobIdsAsync(bob.Client));
        Assert.Equal([scriptJob], await JobIdsAsync(script));
        Assert.Equal(new[] { aliceJob, bobJob, scriptJob }.Order(), (await JobIdsAsync(host)).Order());

        // Bob's job is "no such job" for Alice everywhere: details, results, export, files, the photo, cancel.
        foreach (string url in new[] { "", "/results", "/export", "/photos/0" })
        {
            using var response = await alice.Client.GetAsync($"api/jobs/{bobJob}{url}");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"GET {url} of another session's job gave {(int)response.StatusCode}");
            Assert.Contains("No such job", await response.Content.ReadAsStringAsync());
            using var asHost = await host.GetAsync($"api/jobs/{bobJob}{url}");
            Assert.True(asHost.StatusCode == HttpStatusCode.OK, $"GET {url} by the host gave {(int)asHost.StatusCode}");
        }
        using (var file = await alice.Client.GetAsync($"api/jobs/{bobJob}/files/thumbs/0.jpg"))
            Assert.Contains("No such job", await file.Content.ReadAsStringAsync());
        using (var cancel = await alice.Client.DeleteAsync($"api/jobs/{bobJob}"))
            Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        using (var ownPhoto = await bob.Client.GetAsync($"api/jobs/{bobJob}/photos/0"))
            Assert.Equal(HttpStatusCode.OK, ownPhoto.StatusCode);

        // Following over SignalR: only one's own jobs (the host any).
        await using var aliceHub = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/jobs"), o =>
        {
            o.Headers[JobsAppFactory.LanPeerHeader] = alice.Address;
            o.Headers["Cookie"] = alice.CookieHeader;
        }).Build();
        await aliceHub.StartAsync();
        Assert.Equal(aliceJob, (await aliceHub.InvokeAsync<JobProgress>("Follow", aliceJob)).JobId);
        var refused = await Assert.ThrowsAsync<HubException>(() => aliceHub.InvokeAsync<JobProgress>("Follow", bobJob));
        Assert.Contains("no job", refused.Message);
        await using var hostHub = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/jobs")).Build();
        await hostHub.StartAsync();
        Assert.Equal(bobJob, (await hostHub.InvokeAsync<JobProgress>("Follow", bobJob)).JobId);
    }

    [Fact]
    public async Task OnlyTheSessionThatStartedThePresentationControlsItOthersFollow()
    {
        using var alice = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        using var bob = new LanBrowser(_app.ServerAddress, "192.168.1.21");
        (await alice.SignInAsync()).Dispose();
        (await bob.SignInAsync()).Dispose();
        HubConnection Connect(LanBrowser browser) => new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/present"), o =>
        {
            o.Headers[JobsAppFactory.LanPeerHeader] = browser.Address;
            o.Headers["Cookie"] = browser.CookieHeader;
        }).Build();
        await using var aliceHub = Connect(alice);
        await using var bobHub = Connect(bob);
        await aliceHub.StartAsync();
        await bobHub.StartAsync();
        var state = new PresenterState("cat.bmp", null, "mobilenetv2", ["tabby"], ["gradcam"], "auto", "jet", 0.5f, false,
            [new PresentedOverlay("gradcam", 281, "tabby", 0.5f, [0x89, 0x50, 0x4E, 0x47])]);

        long version = await aliceHub.InvokeAsync<long>("Publish", state);
        var taken = await Assert.ThrowsAsync<HubException>(() => bobHub.InvokeAsync<long>("Publish", state with { PhotoName = "bob.jpg" }));
        Assert.Contains("Someone else is presenting", taken.Message);
        await Assert.ThrowsAsync<HubException>(() => bobHub.InvokeAsync("Stop"));
        PresenterUpdate followed = await bobHub.InvokeAsync<PresenterUpdate>("Follow"); // Bob can follow
        Assert.Equal(version, followed.Version);
        Assert.Equal("cat.bmp", followed.PhotoName);

        Assert.True(await aliceHub.InvokeAsync<long>("Publish", state with { PhotoName = "dog.jpg" }) > version);
        await aliceHub.InvokeAsync("Stop");
        // Free again: now Bob may present.
        await bobHub.InvokeAsync<long>("Publish", state with { PhotoName = "bob.jpg" });
        await Assert.ThrowsAsync<HubException>(() => aliceHub.InvokeAsync("Stop"));
        // The host may always stop a presentation.
        await using var hostHub = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/present")).Build();
        await hostHub.StartAsync();
        await hostHub.InvokeAsync("Stop");
        Assert.False((await bobHub.InvokeAsync<PresenterUpdate>("Follow")).Presenting);
    }

    [Fact]
    public async Task TheHostListsAndRevokesSessionsAndARevokedCookieStopsWorking()
    {
        using var alice = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        (await alice.SignInAsync()).Dispose();
        using (var before = await alice.Client.GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        using (var notHost = await alice.Client.GetAsync("api/sessions"))
            Assert.Equal(HttpStatusCode.Forbidden, notHost.StatusCode);

        using var host = Host();
        var sessions = await host.GetFromJsonAsync<JsonElement>("api/sessions");
        JsonElement session = Assert.Single(sessions.EnumerateArray());
        Assert.Equal("browser", session.GetProperty("kind").GetString());
        Assert.Equal("192.168.1.20", session.GetProperty("address").GetString());
        string id = session.GetProperty("id").GetString()!;
        Assert.DoesNotContain(id, alice.CookieHeader); // the cookie is protected, not the bare id

        await using var openHub = new HubConnectionBuilder().WithUrl(new Uri(_app.ServerAddress, "hubs/present"), o =>
        {
            o.Headers[JobsAppFactory.LanPeerHeader] = alice.Address;
            o.Headers["Cookie"] = alice.CookieHeader;
        }).Build();
        await openHub.StartAsync();
        await openHub.InvokeAsync<PresenterUpdate>("Follow");

        using (var revoke = await host.DeleteAsync($"api/sessions/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        // The connection opened before the revocation ends at its next call.
        var ended = await Assert.ThrowsAnyAsync<Exception>(() => openHub.InvokeAsync<PresenterUpdate>("Follow"));
        Assert.True(ended is HubException or TaskCanceledException or InvalidOperationException, ended.ToString());
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (openHub.State != HubConnectionState.Disconnected && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.Equal(HubConnectionState.Disconnected, openHub.State);
        using (var after = await alice.Client.GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        using (var again = await host.DeleteAsync($"api/sessions/{id}"))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Empty((await host.GetFromJsonAsync<JsonElement>("api/sessions")).EnumerateArray());
    }

    [Fact]
    public async Task AForgedOrTamperedCookieIsNotASession()
    {
        using var alice = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        (await alice.SignInAsync()).Dispose();
        string value = alice.CookieHeader.Split("; ").Single(c => c.StartsWith(AccessCodeMiddleware.CookieName + "=", StringComparison.Ordinal))
            .Split('=', 2)[1];
        string tampered = value[..^3] + (value[^3] == 'A' ? 'B' : 'A') + value[^2..];
        foreach (string cookie in new[] { tampered, "s-0123456789abcdef0123|1700000000", "" })
        {
            using var client = Script("192.168.1.20", code: null);
            var request = new HttpRequestMessage(HttpMethod.Get, "api/jobs");
            request.Headers.Add("Cookie", $"{AccessCodeMiddleware.CookieName}={cookie}");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task TheSignInFormNeedsItsAntiforgeryToken()
    {
        using var lan = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        using var posted = await lan.Client.PostAsync("access", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["code"] = JobsAppFactory.Code,
            ["returnUrl"] = "/jobs",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.False(lan.HasSessionCookie);
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")]
    [InlineData("https://evil.example/")]
    public async Task TheRedirectAfterTheCodeStaysOnThisServer(string returnUrl)
    {
        using var lan = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        using var response = await lan.SignInAsync(returnUrl: returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        Assert.True(lan.HasSessionCookie);
    }

    [Fact]
    public async Task AQueryCodeOnASchemeRelativePathRedirectsHomeNotToAnotherSite()
    {
        // The issue's //evil.example/?code=… : the path itself would have become the Location.
        using var lan = new LanBrowser(_app.ServerAddress, "192.168.1.20");
        using var response = await lan.Client.GetAsync(new Uri($"{_app.ServerAddress.GetLeftPart(UriPartial.Authority)}//evil.example/?code={JobsAppFactory.Code}"));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task AConnectionWithoutAnAddressNeedsTheCodeAndCannotStartFolderJobs()
    {
        using var unix = Script(JobsAppFactory.NoAddress, code: null);
        using (var refused = await unix.GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using (var page = await unix.GetAsync(""))
            Assert.Contains("Enter the access code", await page.Content.ReadAsStringAsync());

        using var withCode = Script(JobsAppFactory.NoAddress, JobsAppFactory.Code);
        using (var admitted = await withCode.GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        using var folder = await withCode.PostAsync("api/jobs", new MultipartFormDataContent { { new StringContent(_app.DataDirectory), "folder" } });
        Assert.Equal(HttpStatusCode.Forbidden, folder.StatusCode);
        using (var sessions = await withCode.GetAsync("api/sessions"))
            Assert.Equal(HttpStatusCode.Forbidden, sessions.StatusCode);
    }

    [Fact]
    public async Task WrongCodesAreThrottledPerAddressAfterTenAMinuteAndLoggedInOneLine()
    {
        using var guesser = Script("192.168.1.66", "AAAA-BBBB");
        for (int i = 1; i <= 10; i++)
        {
            using var wrong = await guesser.GetAsync("api/jobs");
            Assert.True(wrong.StatusCode == HttpStatusCode.Unauthorized, $"wrong code {i} gave {(int)wrong.StatusCode}");
        }
        using (var eleventh = await guesser.GetAsync("api/jobs"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, eleventh.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(60), eleventh.Headers.RetryAfter?.Delta);
        }
        // Once throttled even the right code waits (so guessing cannot go on), the form too; other addresses are not affected.
        using (var right = await Script("192.168.1.66", JobsAppFactory.Code).GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        using (var form = new LanBrowser(_app.ServerAddress, "192.168.1.66"))
        using (var signIn = await form.SignInAsync())
            Assert.Equal(HttpStatusCode.TooManyRequests, signIn.StatusCode);
        using (var otherAddress = await Script("192.168.1.67", JobsAppFactory.Code).GetAsync("api/jobs"))
            Assert.Equal(HttpStatusCode.OK, otherAddress.StatusCode);

        var lines = _app.Logs.Lines.Where(l => l.Message.StartsWith("Wrong access code from 192.168.1.66", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, lines.Count); // one per counted wrong code; throttled ones are not compared, nor logged
        Assert.All(lines, l =>
        {
            Assert.Equal(LogLevel.Warning, l.Level);
            Assert.Null(l.Exception);
            Assert.DoesNotContain('\n', l.Message);
        });

        // The figure for the lead's note: how fast wrong codes are refused once throttled (printed, not asserted).
        int refused = 0, other = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var client = Script("192.168.1.66", "AAAA-BBBB");
            while (watch.Elapsed < TimeSpan.FromSeconds(2))
            {
                using var response = await client.GetAsync("api/jobs");
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                    Interlocked.Increment(ref refused);
                else
                    Interlocked.Increment(ref other);
            }
        }));
        output.WriteLine($"Wrong codes refused with 429: {refused / watch.Elapsed.TotalSeconds:F0} per second over {watch.Elapsed.TotalSeconds:F1} s (8 parallel clients); answered otherwise: {other}");
        Assert.Equal(0, other);
    }

    [Fact]
    public async Task BehindATrustedProxyTheForwardedAddressDecidesAndAnAddresslessConnectionIsTheHost()
    {
        using var proxied = new JobsAppFactory(kestrel: true, settings: new Dictionary<string, string> { ["CamStudio:TrustedProxy"] = "true" });
        async Task<HttpStatusCode> SessionsAsync(string peer, string? forwardedFor)
        {
            using var client = new HttpClient { BaseAddress = proxied.ServerAddress };
            client.DefaultRequestHeaders.Add(JobsAppFactory.LanPeerHeader, peer);
            if (forwardedFor is not null)
                client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
            using var response = await client.GetAsync("api/sessions");
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await SessionsAsync(JobsAppFactory.NoAddress, null)); // the proxy's own machine (Unix socket)
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionsAsync(JobsAppFactory.NoAddress, "192.168.1.20")); // a LAN client through it
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionsAsync("127.0.0.1", "192.168.1.20"));
        Assert.Equal(HttpStatusCode.OK, await SessionsAsync("127.0.0.1", "127.0.0.1"));
        // A LAN machine cannot pretend to be the host: it is not the proxy, so its header is not believed.
        Assert.Equal(HttpStatusCode.Unauthorized, await SessionsAsync("192.168.1.20", "127.0.0.1"));
    }

    [Fact]
    public async Task ASessionOutlivesARestartBecauseItsKeysAndListAreInTheDataFolder()
    {
        string data = Path.Combine(Path.GetTempPath(), "camstudio-jobs-tests", Guid.NewGuid().ToString("N"));
        try
        {
            string cookie, aliceJob;
            using (var first = new JobsAppFactory(kestrel: true, dataDirectory: data))
            {
                using var alice = new LanBrowser(first.ServerAddress, "192.168.1.20");
                (await alice.SignInAsync()).Dispose();
                aliceJob = await JobRequests.SubmitAsync(alice.Client, JobRequests.Photos(1));
                using var host = new HttpClient { BaseAddress = first.ServerAddress };
                await JobRequests.WaitForEndAsync(host, aliceJob);
                cookie = alice.CookieHeader;
            }
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(data, "keys"), "key-*.xml"));
            Assert.True(File.Exists(Path.Combine(data, "sessions.json")));

            using var restarted = new JobsAppFactory(kestrel: true, dataDirectory: data);
            using var client = new HttpClient { BaseAddress = restarted.ServerAddress };
            client.DefaultRequestHeaders.Add(JobsAppFactory.LanPeerHeader, "192.168.1.20");
            client.DefaultRequestHeaders.Add("Cookie", cookie);
            using var response = await client.GetAsync("api/jobs");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var jobs = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(aliceJob, Assert.Single(jobs.GetProperty("jobs").EnumerateArray()).GetProperty("jobId").GetString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(data))
                Directory.Delete(data, recursive: true);
        }
    }
}
