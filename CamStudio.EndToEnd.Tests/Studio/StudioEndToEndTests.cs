using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The studio end to end: the real app on Kestrel (127.0.0.1, a free port) with the real engine and model,
/// driven by Debian's Chromium through Playwright. Any console error or page error fails the test.
/// Screenshots go to artifacts/e2e/.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioEndToEndTests : StudioBrowserTest
{
    private readonly string _artifacts = E2eBrowser.ArtifactsDirectory;

    [Fact]
    public async Task UploadExploreCompareAndDownloadTheSheet()
    {
        IPage? page = null;
        try
        {
            page = await Browser.NewPageAsync("studio", ComputeTimeout, new BrowserNewContextOptions
            {
                AcceptDownloads = true,
                ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            });
            await RunStudioScenarioAsync(page);
        }
        catch when (page is not null)
        {
            await E2eBrowser.SaveFailureAsync(page, "failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    private async Task RunStudioScenarioAsync(IPage page)
    {
        await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
        await Screenshot(page, "1-explore");

        // The readout is computed in the browser from the map values sent once.
        await page.Locator("[data-testid=overlay] .overlay-frame img").HoverAsync(new() { Position = new() { X = 20, Y = 20 } });
        await Assertions.Expect(page.Locator("[data-testid=overlay] [data-testid=readout]")).ToContainTextAsync("raw ");
        IDownload npy = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download-npy]").ClickAsync());
        string npyPath = Path.Combine(_artifacts, "map.npy");
        await npy.SaveAsAsync(npyPath);
        CamStudio.Engine.Imaging.NpyArray map = CamStudio.Engine.Imaging.NpyFormat.Read(await File.ReadAllBytesAsync(npyPath));
        // The one .npy contract: the map at the model input's size (224×224), normalised to [0, 1].
        Assert.Equal([224, 224], map.Shape);
        Assert.Equal(0f, map.Data.Min(), 1e-6f);
        Assert.Equal(1f, map.Data.Max(), 1e-6f);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Side by side" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(1);

        await StudioSteps.PickClassAsync(page, "grid-class-picker", "tiger cat");
        await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(2);

        await page.Locator("[data-testid=grid-method-layercam]").ClickAsync();
        ILocator grid = page.Locator("[data-testid=compare-grid]");
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-columns", "2");
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-rows", "2");
        await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator(".compare-row-label")).ToHaveTextAsync(["bull mastiff", "tiger cat"]);
        await Screenshot(page, "2-grid-own-scale");

        await page.Locator("[data-testid=shared-scale] input").ClickAsync();
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-scale", "shared");
        await Assertions.Expect(page.Locator("[data-testid=shared-color-bar]")).ToHaveCountAsync(2); // one scale per method
        await Screenshot(page, "3-grid-shared-scale");

        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download-sheet]").ClickAsync());
        string sheet = Path.Combine(_artifacts, "sheet.png");
        await download.SaveAsAsync(sheet);
        Assert.Equal("both-comparison.png", download.SuggestedFilename);
        byte[] bytes = await File.ReadAllBytesAsync(sheet);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        // Four 320-pixel overlays plus labels: far more than a blank or broken image.
        Assert.InRange(bytes.Length, 100_000, 20_000_000);

        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await Screenshot(page, "4-dark-theme");

    }

    private static Task Screenshot(IPage page, string name) => E2eBrowser.ScreenshotAsync(page, name);

    private static float Ms(TimeSpan span) => (float)span.TotalMilliseconds;
}
