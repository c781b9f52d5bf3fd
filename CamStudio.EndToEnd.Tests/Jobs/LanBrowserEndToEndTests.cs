using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// A LAN viewer in Debian's Chromium (its requests carry the test-only address header, so the app on 127.0.0.1 sees
/// 192.168.1.20; no traffic leaves loopback): it signs in with the code through the form, and then the real browser's
/// Origin, cookies, websocket and the content security policy all let the jobs page run, showing only its own jobs.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class LanBrowserEndToEndTests : IDisposable
{
    private readonly JobsAppFactory _app = new(kestrel: true);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task ALanViewerSignsInAndItsJobsPageShowsOnlyItsOwnJobs()
    {
        using var host = new HttpClient { BaseAddress = _app.ServerAddress };
        string hostJob = await JobRequests.SubmitAsync(host, JobRequests.Photos(1));
        await JobRequests.WaitForEndAsync(host, hostJob);

        await using E2eBrowser browser = await E2eBrowser.LaunchAsync();
        IPage lan = await browser.NewPageAsync("lan", TimeSpan.FromSeconds(60), new BrowserNewContextOptions
        {
            BaseURL = _app.ServerAddress.ToString(),
            ExtraHTTPHeaders = new Dictionary<string, string> { [JobsAppFactory.LanPeerHeader] = "192.168.1.20" },
        });
        try
        {
            await lan.GotoAsync("jobs");
            await lan.Locator("input[name=code]").FillAsync(JobsAppFactory.Code);
            await lan.Locator("button[type=submit]").ClickAsync();
            await lan.WaitForURLAsync("**/jobs");
            await lan.Locator("[data-jobs-page][data-interactive=true]").WaitForAsync();
            Assert.Equal(0, await lan.Locator($"[data-job='{hostJob}']").CountAsync()); // the host's job is not the viewer's
            Assert.Equal(0, await lan.GetByText("a folder on this computer").CountAsync()); // server folders are for the host

            IPage hostPage = await browser.NewPageAsync("host", TimeSpan.FromSeconds(60), new BrowserNewContextOptions { BaseURL = _app.ServerAddress.ToString() });
            await hostPage.GotoAsync("jobs");
            await hostPage.Locator("[data-jobs-page][data-interactive=true]").WaitForAsync();
            await hostPage.Locator($"[data-job='{hostJob}']").WaitForAsync();
            Assert.True(await hostPage.GetByText("a folder on this computer").CountAsync() > 0);
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(lan, "lan-failure");
            throw;
        }
        // The only errors are the 401s before the code was entered (the sign-in page, and the browser's favicon
        // request); no policy violation, websocket refusal or circuit error.
        Assert.All(browser.Errors, e => Assert.Contains("401", e));
    }
}
