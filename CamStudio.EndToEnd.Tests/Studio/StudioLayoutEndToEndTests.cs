using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The explorer's layout on a phone (390×844) and on a desktop (1440×900), light and dark: the overlay in the first
/// screen, nothing hidden that matters (every tab within reach, the Trust table whole), and screenshots of each in
/// artifacts/e2e/.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioLayoutEndToEndTests : StudioBrowserTest
{
    [Fact]
    public async Task OnAPhoneTheOverlayIsInTheFirstScreenAndFollowPresenterIsVisible()
    {
        IPage page = await Browser.NewPageAsync("phone", ComputeTimeout, Phone(ColorScheme.Light));
        await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
        await E2eBrowser.ScreenshotAsync(page, "phone-light-explore");

        LocatorBoundingBoxResult overlay = (await BoxAsync(page.Locator("[data-testid=overlay] .overlay-frame img")));
        Assert.True(overlay.Y + overlay.Height / 2 < 844, $"the overlay's middle is at y = {overlay.Y + overlay.Height / 2:0}, below the first screen (844)");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Follow presenter" })).ToBeVisibleAsync();
        Browser.AssertNoErrors();
    }

    [Theory]
    [InlineData("light")]
    [InlineData("dark")]
    public async Task TheExplorerAndGridFitADesktopAndAPhone(string theme)
    {
        ColorScheme scheme = theme == "dark" ? ColorScheme.Dark : ColorScheme.Light;
        foreach ((string device, BrowserNewContextOptions options) in new[] { ("desktop", Desktop(scheme)), ("phone", Phone(scheme)) })
        {
            IPage page = await Browser.NewPageAsync($"{device}-{theme}", ComputeTimeout, options);
            await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            await Assertions.Expect(page.Locator("[data-testid=prediction] .prediction-probability").First).ToBeVisibleAsync();
            // The probability stays on its name's line.
            LocatorBoundingBoxResult name = (await BoxAsync(page.Locator("[data-testid=prediction] .prediction-name").First));
            LocatorBoundingBoxResult probability = (await BoxAsync(page.Locator("[data-testid=prediction] .prediction-probability").First));
            Assert.True(Math.Abs(name.Y - probability.Y) < 4, $"{device}: the probability wrapped onto its own line");
            // The colour bar and the downloads are in the first screen on a desktop.
            if (device == "desktop")
            {
                LocatorBoundingBoxResult downloads = (await BoxAsync(page.Locator("[data-testid=download-overlay]")));
                Assert.True(downloads.Y + downloads.Height <= 900, $"the downloads are below the fold (y = {downloads.Y:0})");
            }
            await E2eBrowser.ScreenshotAsync(page, $"{device}-{theme}-explore");

            await page.GetByRole(AriaRole.Tab, new() { Name = "Side by side" }).ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(1);
            await StudioSteps.PickClassAsync(page, "grid-class-picker", "American Staffordshire terrier, Staffordshire terrier, American pit bull terrier, pit bull terrier");
            await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(2);
            // A long label neither squeezes the maps nor hides its chip's remove button.
            LocatorBoundingBoxResult cell = (await BoxAsync(page.Locator("[data-testid=grid-overlay] .overlay-frame img").First));
            Assert.True(cell.Width >= (device == "desktop" ? 200 : 120), $"{device}: a grid map is only {cell.Width:0} px wide");
            ILocator close = page.Locator("[data-testid=grid-class]").Last.Locator(".grid-class-remove");
            await Assertions.Expect(close).ToBeVisibleAsync();
            LocatorBoundingBoxResult chip = (await BoxAsync(page.Locator("[data-testid=grid-class]").Last));
            LocatorBoundingBoxResult button = (await BoxAsync(close));
            Assert.True(button.X + button.Width <= chip.X + chip.Width + 1 && button.X + button.Width <= options.ViewportSize!.Width,
                $"{device}: the chip's remove button lies outside its chip or the screen");
            await E2eBrowser.ScreenshotAsync(page, $"{device}-{theme}-grid");
            await page.Context.CloseAsync();
        }
        Browser.AssertNoErrors();
    }

    /// <summary>The Trust tab's full measurement (every metric and the sanity checks) on the shared 2-core box.</summary>
    private static readonly TimeSpan TrustTimeout = TimeSpan.FromMinutes(20);

    [Fact]
    public async Task OnAPhoneEveryTabIsReachableByKeyboardAndTheTrustTableFitsTheScreen()
    {
        IPage page = await Browser.NewPageAsync("phone-tabs", ComputeTimeout, Phone(ColorScheme.Light));
        try
        {
            await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            // Every tab lies inside the 390 px screen (Concepts and Trust used to be cut off past the strip's edge).
            foreach (string name in new[] { "Explore", "Side by side", "Concepts", "Trust" })
            {
                LocatorBoundingBoxResult tab = await BoxAsync(page.GetByRole(AriaRole.Tab, new() { Name = name }));
                Assert.True(tab.X >= 0 && tab.X + tab.Width <= 390 + 0.5, $"the {name} tab spans x {tab.X:0}–{tab.X + tab.Width:0}, past the 390 px screen");
            }
            await E2eBrowser.ScreenshotAsync(page, "layout-tabs-phone-light");

            // By keyboard: focus on the active tab, arrows to the last one, Enter opens it.
            await page.GetByRole(AriaRole.Tab, new() { Name = "Explore" }).FocusAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Explore" })).ToBeFocusedAsync();
            foreach (string next in new[] { "Side by side", "Concepts", "Trust" })
            {
                // The tabs move focus through the circuit: wait for it before the next key.
                await page.Keyboard.PressAsync("ArrowRight");
                await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = next })).ToBeFocusedAsync(new() { Timeout = 10_000 });
            }
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.GetByRole(AriaRole.Tab, new() { Name = "Trust" })).ToHaveAttributeAsync("aria-selected", "true");
            await Assertions.Expect(page.Locator("[data-testid=trust-row][data-metric=deletion]")).ToBeVisibleAsync(new() { Timeout = (float)TrustTimeout.TotalMilliseconds });

            // The Trust table reflows to the screen: its last baseline column is whole, without scrolling sideways.
            foreach (string theme in new[] { "light", "dark" })
            {
                await CamStudio.Tests.Jobs.PageShots.UseThemeAsync(page, theme == "dark");
                ILocator table = page.Locator("[data-testid=trust-table] table");
                await table.ScrollIntoViewIfNeededAsync();
                double overflow = await table.EvaluateAsync<double>("t => t.scrollWidth - t.closest('.trust-table-wrap').clientWidth");
                Assert.True(overflow <= 1, $"{theme}: the Trust table is {overflow:0} px wider than its place on a 390 px screen");
                LocatorBoundingBoxResult last = await BoxAsync(page.Locator("[data-testid=trust-table] th").Last);
                Assert.True(last.X + last.Width <= 390 + 0.5, $"{theme}: the last column ends at x {last.X + last.Width:0}, past the screen");
                await E2eBrowser.ScreenshotAsync(page, $"layout-trust-phone-{theme}");
                await page.SetViewportSizeAsync(1440, 900);
                await E2eBrowser.ScreenshotAsync(page, $"layout-trust-desktop-{theme}");
                await page.SetViewportSizeAsync(390, 844);
            }
            await E2eBrowser.ScreenshotAsync(page, "layout-tabs-phone-dark");
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "phone-tabs-failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    [Fact]
    public async Task TheGridNeverTicksMoreMethodsThanItHolds()
    {
        IPage page = await Browser.NewPageAsync("grid-methods", ComputeTimeout, Desktop(ColorScheme.Light));
        await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Side by side" }).ClickAsync();
        foreach (string method in new[] { "cam", "layercam", "xgradcam" })
            await page.Locator($"[data-testid=grid-method-{method}]").ClickAsync();
        ILocator grid = page.Locator("[data-testid=compare-grid]");
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-columns", "4", new() { Timeout = (float)ComputeTimeout.TotalMilliseconds });
        // A fifth cannot be ticked (it used to be: five chips ticked over a grid of four).
        ILocator fifth = page.Locator("[data-testid=grid-method-hirescam]");
        await Assertions.Expect(fifth).ToHaveAttributeAsync("aria-disabled", "true");
        await fifth.ClickAsync(new() { Force = true });
        await Assertions.Expect(page.Locator("[data-testid^=grid-method-].mud-chip-selected")).ToHaveCountAsync(4);
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-columns", "4");
        Browser.AssertNoErrors();
    }

    private static BrowserNewContextOptions Phone(ColorScheme scheme) => new()
    {
        ViewportSize = new ViewportSize { Width = 390, Height = 844 }, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true, ColorScheme = scheme,
    };

    private static BrowserNewContextOptions Desktop(ColorScheme scheme) => new()
    {
        ViewportSize = new ViewportSize { Width = 1440, Height = 900 }, ColorScheme = scheme,
    };

    /// <summary>
    /// The element's box once it is visible. A re-render can replace the element between the visibility check and the
    /// box read (the box is then null), so the read is retried on the fresh element for a few seconds.
    /// </summary>
    private static async Task<LocatorBoundingBoxResult> BoxAsync(ILocator locator)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            await Assertions.Expect(locator).ToBeVisibleAsync();
            if (await locator.BoundingBoxAsync() is { } box)
                return box;
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"{locator} has no box although visible, for 5 s");
    }
}
