using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The request features and the Concepts tab on a real photo with the default model (the shared int8 MobileNetV2):
/// two layers fused by max, aug_smooth and eigen_smooth, guided backpropagation (which this model refuses, with the
/// engine's reason, since its int8 graph has no Relu/Clip nodes to guide), then the Concepts tab with another K.
/// Screenshots of the model panel and the Concepts tab, light and dark, desktop 1440×900 and phone 390×844.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioFeaturesEndToEndTests : StudioBrowserTest
{
    [Fact]
    public async Task TwoLayersFusedWithSmoothingThenTheConceptsOfThePhoto()
    {
        IPage page = await Browser.NewPageAsync("features", ComputeTimeout, new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1440, Height = 900 }, ColorScheme = ColorScheme.Light,
        });
        try
        {
            await RunAsync(page);
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "features-failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    private async Task RunAsync(IPage page)
    {
        await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
        ILocator caption = page.Locator("[data-testid=overlay] figcaption");

        // A second layer: the first other layer the picker offers, fused by max.
        await page.Locator("[data-testid=fuse-layers] .mud-select").First.ClickAsync();
        ILocator option = page.Locator(".mud-popover-open [data-fuse-layer]").First;
        string layer = (await option.GetAttributeAsync("data-fuse-layer"))!;
        await option.ClickAsync();
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(caption).ToContainTextAsync("mean fusion of");
        await page.Locator("[data-testid=fusion-picker] .mud-select").First.ClickAsync();
        await page.Locator(".mud-popover-open [data-fusion=max]").ClickAsync();
        await Assertions.Expect(caption).ToContainTextAsync($"max fusion of");
        await Assertions.Expect(caption).ToContainTextAsync(layer);

        await page.Locator("[data-testid=aug-smooth] input").ClickAsync();
        await Assertions.Expect(caption).ToContainTextAsync("aug-smoothed (6 passes)");
        await page.Locator("[data-testid=eigen-smooth] input").ClickAsync();
        await Assertions.Expect(caption).ToContainTextAsync("eigen-smoothed");
        Assert.Contains("aug=1", page.Url);
        Assert.Contains("fuse=max", page.Url);

        // Guided backpropagation: refused on the int8 model, with the engine's reason beside the switch.
        await Assertions.Expect(page.Locator("[data-testid=guided] input")).ToBeDisabledAsync();
        await Assertions.Expect(page.Locator("[data-testid=guided-help]")).ToContainTextAsync("Guided backpropagation needs");
        await Assertions.Expect(page.Locator("[data-testid=engine-error]")).ToHaveCountAsync(0);

        // Toggling back is answered from the session's cache: the plain Grad-CAM caption comes back at once.
        await page.Locator("[data-testid=aug-smooth] input").ClickAsync();
        await Assertions.Expect(caption).Not.ToContainTextAsync("aug-smoothed", new() { Timeout = 10_000 });
        await page.Locator("[data-testid=aug-smooth] input").ClickAsync();
        await Assertions.Expect(caption).ToContainTextAsync("aug-smoothed", new() { Timeout = 10_000 });
        await ShootAsync(page, "model-panel", panel: true);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Concepts" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=concept-row]")).ToHaveCountAsync(5);
        await Assertions.Expect(page.Locator("[data-testid=concepts-picture]")).ToBeVisibleAsync();
        await page.Locator("[data-testid=concepts-k] .mud-select").First.ClickAsync();
        await page.Locator(".mud-popover-open [data-k='3']").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=concept-row]")).ToHaveCountAsync(3);
        Assert.Contains("tab=concepts", page.Url);
        Assert.Contains("k=3", page.Url);
        await ShootAsync(page, "concepts", panel: false);
    }

    /// <summary>Desktop and phone, light then dark (the app's theme switch), of the same page: nothing is recomputed.</summary>
    private static async Task ShootAsync(IPage page, string name, bool panel)
    {
        foreach (string theme in new[] { "light", "dark" })
        {
            if (theme == "dark")
                await page.Locator("[data-testid=theme-toggle]").ClickAsync();
            foreach ((string device, int width, int height) in new[] { ("desktop", 1440, 900), ("phone", 390, 844) })
            {
                await page.SetViewportSizeAsync(width, height);
                if (panel)
                    await page.Locator("[data-testid=features-editor]").ScrollIntoViewIfNeededAsync();
                else
                    await page.Locator("[data-testid=concepts-view]").ScrollIntoViewIfNeededAsync();
                await E2eBrowser.ScreenshotAsync(page, $"features-{name}-{device}-{theme}");
            }
        }
        await page.Locator("[data-testid=theme-toggle]").ClickAsync();   // back to light
        await page.SetViewportSizeAsync(1440, 900);
    }
}
