using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The studio works under its own content security policy: Debian's Chromium opens the studio (Blazor Server's
/// websocket, MudBlazor), uploads a photo, sees its overlay (a <c>data:</c> image), downloads the map (a
/// <c>blob:</c> URL) and opens the jobs page, and the page reports no policy violation at all.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioSecurityPolicyEndToEndTests : StudioBrowserTest
{
    // Runs in every page before its own scripts (Playwright's init scripts are not subject to the page's policy).
    private const string CollectViolations = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e =>
            window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
        """;

    [Fact]
    public async Task UploadingAPhotoAndSeeingItsOverlayCausesNoPolicyViolation()
    {
        IPage page = await Browser.NewPageAsync("csp", ComputeTimeout, new BrowserNewContextOptions
        {
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
        });
        var consoleViolations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                lock (consoleViolations)
                    consoleViolations.Add(message.Text);
        };
        await page.AddInitScriptAsync(CollectViolations);
        try
        {
            IResponse? document = await page.GotoAsync(BaseUrl);
            string? policy = document is null ? null : await document.HeaderValueAsync("content-security-policy");
            Assert.NotNull(policy); // otherwise "no violation" would prove nothing
            Assert.Contains("script-src 'self' 'nonce-", policy);

            await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            Assert.StartsWith("data:image/", await page.Locator("[data-testid=overlay] img").First.GetAttributeAsync("src"));
            IDownload npy = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download-npy]").ClickAsync());
            Assert.EndsWith(".npy", npy.SuggestedFilename);
            Assert.Empty(await page.EvaluateAsync<string[]>("window.__cspViolations"));

            await page.GotoAsync(BaseUrl + "/jobs");
            await page.Locator("[data-jobs-page][data-interactive=true]").WaitForAsync();
            Assert.Empty(await page.EvaluateAsync<string[]>("window.__cspViolations"));
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "csp-failure");
            throw;
        }
        lock (consoleViolations)
            Assert.Empty(consoleViolations);
        Browser.AssertNoErrors();
    }
}
