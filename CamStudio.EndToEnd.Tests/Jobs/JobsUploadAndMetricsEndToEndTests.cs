using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// The Jobs page's upload zones are the explorer's (issue 14, items 1, 2 and 9): photos dragged from the desktop are
/// taken, Tab reaches the zone and Enter opens the chooser. A job with metrics (issue 10) shows mean ± sd per method,
/// baselines included, on its results page.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobsUploadAndMetricsEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly JobsAppFactory _app = new(kestrel: true);
    private E2eBrowser? _browser;

    private E2eBrowser Browser => _browser!;

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout((float)Timeout.TotalMilliseconds);
        _browser = await E2eBrowser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _app.Dispose();
    }

    [Fact]
    public async Task PhotosDroppedOnTheJobsZoneAreChosenAndTabAndEnterReachTheChooser()
    {
        IPage page = await OpenAsync("jobs-drop");
        await FileDrops.DropFilesAsync(page, page.Locator("[data-testid=jobs-photos]"), SharedResources.Image("cat.bmp"), SharedResources.Image("dog.jpg"));
        await page.WaitForSelectorAsync("text=2 photo(s) chosen");

        bool reached = false;
        for (int i = 0; i < 40 && !reached; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            reached = await page.EvaluateAsync<bool>("() => !!document.activeElement && document.activeElement.matches('[data-testid=jobs-archive] input.file-drop-input')");
        }
        Assert.True(reached, "40 presses of Tab never reached the ZIP zone");
        await page.WaitForFunctionAsync("() => !!window.camStudio");
        IFileChooser chooser = await page.RunAndWaitForFileChooserAsync(() => page.Locator("[data-testid=jobs-archive] input.file-drop-input").PressAsync("Enter"));
        Assert.False(chooser.IsMultiple);
        Browser.AssertNoErrors();
    }

    [Fact]
    public async Task AJobWithMetricsShowsMeanAndSdPerMethodBesideTheBaselines()
    {
        IPage page = await OpenAsync("jobs-metrics");
        try
        {
            await page.Locator("input[type=file][multiple]").SetInputFilesAsync(new[] { "chelsea.png", "coffee.png" }.Select(SharedResources.Image));
            await page.WaitForSelectorAsync("text=2 photo(s) chosen");
            foreach (string metric in new[] { "deletion", "insertion" })
                await page.Locator($"[data-jobs-metrics] [data-metric='{metric}']").ClickAsync();
            ILocator steps = page.Locator("[data-field='steps']").Locator("xpath=descendant-or-self::input").First;
            await steps.FillAsync("5");
            await steps.PressAsync("Tab");
            await page.ClickAsync("[data-submit-job]");
            ILocator job = page.Locator("[data-job]").First;
            await job.Locator("[data-state]:text('completed')").WaitForAsync(new() { Timeout = (float)Timeout.TotalMilliseconds });
            string jobId = (await job.GetAttributeAsync("data-job"))!;

            await page.GotoAsync($"{_app.ServerAddress}jobs/{jobId}");
            await page.WaitForSelectorAsync("[data-job-results][data-interactive='true']");
            ILocator table = page.Locator("[data-job-metrics]");
            await Assertions.Expect(table.Locator("[data-metrics-method]")).ToHaveCountAsync(4); // Grad-CAM and the three baselines
            string gradcam = await table.Locator("[data-metrics-method='gradcam'] [data-metric='deletion_auc']").InnerTextAsync();
            Assert.Matches(@"^0\.\d{3} ± 0\.\d{3}$", gradcam);
            await Assertions.Expect(table.Locator("[data-metrics-method='baseline-sobel']")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-job-metric-settings]")).ToContainTextAsync("deletion, insertion · 5 steps · with baselines");
            foreach (var (size, phone) in PageShots.Sizes)
            {
                IPage shot = await Browser.NewPageAsync($"job-metrics-{size}", Timeout, PageShots.Context(phone, dark: false));
                await shot.GotoAsync($"{_app.ServerAddress}jobs/{jobId}");
                await shot.WaitForSelectorAsync("[data-job-results][data-interactive='true']");
                await PageShots.UseThemeAsync(shot, dark: false);
                await PageShots.ShootAsync(shot, $"job-metrics-{size}-light");
                await shot.Context.CloseAsync();
            }
            Browser.AssertNoErrors();
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "jobs-metrics-failure");
            throw;
        }
    }

    private async Task<IPage> OpenAsync(string label)
    {
        IPage page = await Browser.NewPageAsync(label, Timeout, PageShots.Context(phone: false, dark: false));
        await page.GotoAsync($"{_app.ServerAddress}jobs");
        await page.WaitForSelectorAsync("[data-jobs-page][data-interactive='true']");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=jobs-photos] input[type=file]'); return !!i && i._blazorInputFileNextFileId !== undefined; }");
        return page;
    }
}
