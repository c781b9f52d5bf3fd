using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The Trust tab end to end on the real engine and the default model: the metrics of the explorer's map beside the
/// baselines', the sanity verdict, a box dragged on the photo, Recommend and its winner applied to the explorer; and
/// the tab photographed light and dark on a desktop (1440×900) and a phone (390×844) into artifacts/e2e/.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioTrustEndToEndTests : StudioBrowserTest
{
    /// <summary>The full measurement and the sweep run hundreds of forward passes: minutes on the shared 2-core box.</summary>
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromMinutes(20);

    [Fact]
    public async Task TheTrustTabMeasuresTheMapScoresADrawnBoxRecommendsAPairAndAppliesIt()
    {
        IPage page = await Browser.NewPageAsync("trust", ComputeTimeout, Context(phone: false, ColorScheme.Light));
        try
        {
            await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            await OpenTrustAsync(page);

            // Grad-CAM's numbers beside the three baselines', both curves, and the verdict.
            ILocator deletion = page.Locator("[data-testid=trust-row][data-metric=deletion]");
            await Assertions.Expect(deletion.Locator("[data-testid=trust-baseline-value]")).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator("[data-testid=curve-chart]")).ToHaveCountAsync(2);
            await Assertions.Expect(page.Locator("[data-testid=curve-chart]").First.Locator("[data-testid=curve]")).ToHaveCountAsync(4);
            await Assertions.Expect(page.Locator("[data-testid=sanity-verdict]")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-testid=sanity-stage]")).ToHaveCountAsync(5);
            // A real property of this photo (asserted in the engine's tests too): Grad-CAM beats random noise on deletion.
            double method = Number(await deletion.Locator("[data-testid=trust-method-value]").TextContentAsync());
            double random = Number(await deletion.Locator("[data-baseline=baseline-random]").TextContentAsync());
            Assert.True(method < random, $"Grad-CAM's deletion AUC {method} is not below the random map's {random}");

            // The same results photographed in both themes on a desktop and a phone: nothing spills past the screen.
            await ShootAllAsync(page);

            // A box dragged over the dog's middle: the pointing games appear.
            ILocator photo = page.Locator("[data-testid=box-frame] img");
            await photo.ScrollIntoViewIfNeededAsync();
            LocatorBoundingBoxResult at = await photo.BoundingBoxAsync() ?? throw new InvalidOperationException("no photo to draw on");
            await page.Mouse.MoveAsync(at.X + at.Width * 0.15f, at.Y + at.Height * 0.1f);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(at.X + at.Width * 0.5f, at.Y + at.Height * 0.5f, new() { Steps = 5 });
            await page.Mouse.MoveAsync(at.X + at.Width * 0.85f, at.Y + at.Height * 0.9f, new() { Steps = 5 });
            await page.Mouse.UpAsync();
            await Assertions.Expect(page.Locator("[data-testid=box]")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-testid=pointing-result]")).ToBeVisibleAsync(new() { Timeout = (float)SweepTimeout.TotalMilliseconds });
            await Assertions.Expect(page.Locator("[data-testid=trust-row][data-metric=energy_pointing]")).ToBeVisibleAsync();
            await E2eBrowser.ScreenshotAsync(page, "trust-desktop-light-box");

            // Recommend over the last layer (7 fast methods; the default 4 layers take many minutes on the shared box):
            // progress, then the ranked table with the baselines in it; the winner goes to the explorer.
            await page.Locator("input[data-testid=recommend-layers]").FillAsync("1");
            await page.Locator("input[data-testid=recommend-layers]").PressAsync("Tab");
            await page.Locator("[data-testid=recommend]").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=recommend-progress]")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-testid=recommend-table]")).ToBeVisibleAsync(new() { Timeout = (float)SweepTimeout.TotalMilliseconds });
            await Assertions.Expect(page.Locator("[data-testid=recommend-row][data-baseline=true]")).ToHaveCountAsync(3);
            ILocator best = page.Locator("[data-testid=recommend-row][data-baseline=false]").First;
            string bestMethod = await best.GetAttributeAsync("data-method") ?? "";
            string bestLayer = await best.GetAttributeAsync("data-layer") ?? "";
            await page.Locator("[data-testid=trust-recommend]").ScrollIntoViewIfNeededAsync();
            await E2eBrowser.ScreenshotAsync(page, "trust-desktop-light-recommend");
            ILocator apply = page.Locator("[data-testid=apply-best]");
            if (await apply.IsEnabledAsync())
                await apply.ClickAsync();
            await Assertions.Expect(apply).ToContainTextAsync("In use");

            await page.GetByRole(AriaRole.Tab, new() { Name = "Explore" }).ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=overlay] figcaption")).ToContainTextAsync($"layer {bestLayer}");
            // The link carries the choice (the default method is left out of it).
            if (bestMethod != "gradcam")
                Assert.Contains($"method={Uri.EscapeDataString(bestMethod)}", page.Url, StringComparison.Ordinal);
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "trust-failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    /// <summary>Light and dark, 1440×900 and 390×844, of what is on screen (the page is resized, not reloaded: no new measurement).</summary>
    private static async Task ShootAllAsync(IPage page)
    {
        foreach (string theme in new[] { "light", "dark" })
        {
            await CamStudio.Tests.Jobs.PageShots.UseThemeAsync(page, theme == "dark");
            foreach ((string device, int width, int height) in new[] { ("desktop", 1440, 900), ("phone", 390, 844) })
            {
                await page.SetViewportSizeAsync(width, height);
                await Assertions.Expect(page.Locator("[data-testid=trust-row][data-metric=deletion]")).ToBeVisibleAsync();
                foreach (string part in new[] { "trust-table", "curve-chart", "sanity-stages", "trust-recommend" })
                {
                    LocatorBoundingBoxResult box = await page.Locator($"[data-testid={part}]").First.BoundingBoxAsync() ?? throw new InvalidOperationException($"{part} has no box");
                    Assert.True(box.X >= 0 && box.X + box.Width <= width + 1, $"{device} {theme}: {part} spans x {box.X:0}–{box.X + box.Width:0}, past the {width} px screen");
                }
                double scroll = await page.EvaluateAsync<double>("() => document.documentElement.scrollWidth");
                Assert.True(scroll <= width + 1, $"{device} {theme}: the page scrolls sideways ({scroll:0} px wide)");
                await E2eBrowser.ScreenshotAsync(page, $"trust-{device}-{theme}");
            }
        }
        await page.SetViewportSizeAsync(1440, 900);
        await CamStudio.Tests.Jobs.PageShots.UseThemeAsync(page, false);
    }

    private static async Task OpenTrustAsync(IPage page)
    {
        await page.GetByRole(AriaRole.Tab, new() { Name = "Trust" }).ClickAsync();
        // Every metric with the sanity checks on the real model: minutes when the machine is busy.
        await Assertions.Expect(page.Locator("[data-testid=trust-row][data-metric=deletion]")).ToBeVisibleAsync(new() { Timeout = (float)SweepTimeout.TotalMilliseconds });
    }

    private static double Number(string? text) =>
        double.Parse((text ?? "").Replace("✓", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static BrowserNewContextOptions Context(bool phone, ColorScheme scheme) => new()
    {
        ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1440, Height = 900 },
        DeviceScaleFactor = phone ? 2 : 1,
        IsMobile = phone,
        HasTouch = phone,
        ColorScheme = scheme,
    };
}
