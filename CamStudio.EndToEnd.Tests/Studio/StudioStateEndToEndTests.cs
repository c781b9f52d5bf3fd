using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The explorer's state survives what users do to a page: going to Jobs and back, a reload, back/forward and a link
/// opened in another window; the theme is remembered and follows prefers-color-scheme until chosen.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioStateEndToEndTests : StudioBrowserTest
{
    private static readonly string Caption = "[data-testid=overlay] figcaption";

    [Fact]
    public async Task TheExplorerComesBackAfterBackAndForwardJobsAReloadAndInASharedLink()
    {
        IPage page = await Browser.NewPageAsync("state", ComputeTimeout);
        try
        {
            await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            await page.Locator("[data-testid=prediction][data-class='tiger cat']").ClickAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("tiger cat");
            Assert.Contains("class=282", page.Url);

            // Back and forward within the page: the class before, then this one again (past a reload: the test below).
            await page.GoBackAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("bull mastiff", new() { Timeout = Ms(ComputeTimeout) });
            await page.GoForwardAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("tiger cat", new() { Timeout = Ms(ComputeTimeout) });

            // Studio → Jobs → Studio (the menu's links).
            await page.GetByRole(AriaRole.Link, new() { Name = "Jobs" }).ClickAsync();
            await page.WaitForURLAsync("**/jobs");
            await page.GetByRole(AriaRole.Link, new() { Name = "Studio" }).ClickAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("tiger cat", new() { Timeout = Ms(ComputeTimeout) });
            await Assertions.Expect(page.Locator("[data-testid=thumbnail]")).ToHaveCountAsync(1);

            // A reload: a new circuit, the same browser session.
            await page.ReloadAsync();
            await page.Locator("[data-testid=studio][data-interactive=true]").WaitForAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("tiger cat", new() { Timeout = Ms(ComputeTimeout) });
            string link = page.Url;

            // The link in another window of the same browser session (the host's: loopback).
            IPage other = await Browser.NewPageAsync("link", ComputeTimeout);
            await other.GotoAsync(link);
            await other.Locator("[data-testid=studio][data-interactive=true]").WaitForAsync();
            await Assertions.Expect(other.Locator(Caption)).ToContainTextAsync("tiger cat", new() { Timeout = Ms(ComputeTimeout) });
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "state-failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    [Fact]
    public async Task BackAndForwardPastAReloadBringTheExplorerStatesBack()
    {
        IPage page = await Browser.NewPageAsync("state-reload-history", ComputeTimeout);
        try
        {
            await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            await page.Locator("[data-testid=prediction][data-class='tiger cat']").ClickAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("tiger cat");

            // The reload makes a new document (and circuit): the entries before it belong to the old one.
            await page.ReloadAsync();
            await page.Locator("[data-testid=studio][data-interactive=true]").WaitForAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("tiger cat", new() { Timeout = Ms(ComputeTimeout) });

            await page.GoBackAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("bull mastiff", new() { Timeout = Ms(ComputeTimeout) });
            Assert.DoesNotContain("class=282", page.Url);
            await page.GoForwardAsync();
            await Assertions.Expect(page.Locator(Caption)).ToContainTextAsync("tiger cat", new() { Timeout = Ms(ComputeTimeout) });
            Assert.Contains("class=282", page.Url);
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "state-reload-history-failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    [Fact]
    public async Task TheDarkThemeIsRememberedAndFollowsTheSystemUntilChosen()
    {
        IPage dark = await Browser.NewPageAsync("system-dark", ComputeTimeout, new BrowserNewContextOptions { ColorScheme = ColorScheme.Dark });
        await OpenAsync(dark);
        await Assertions.Expect(dark.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", "dark");

        IPage page = await Browser.NewPageAsync("chosen", ComputeTimeout, new BrowserNewContextOptions { ColorScheme = ColorScheme.Light });
        await OpenAsync(page);
        await Assertions.Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", "light");
        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", "dark");
        await page.ReloadAsync();
        await OpenAsync(page, navigate: false);
        await Assertions.Expect(page.Locator("[data-testid=theme-toggle]")).ToHaveAttributeAsync("data-theme", "dark");
        Browser.AssertNoErrors();
    }

    private async Task OpenAsync(IPage page, bool navigate = true)
    {
        if (navigate)
            await page.GotoAsync(BaseUrl);
        await page.Locator("[data-testid=studio][data-interactive=true]").WaitForAsync();
    }

    private static float Ms(TimeSpan span) => (float)span.TotalMilliseconds;
}
