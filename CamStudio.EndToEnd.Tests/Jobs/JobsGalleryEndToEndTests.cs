using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// The jobs page in Debian's Chromium as a user drives it: pickers for the layer, a 3 classes × 3 methods job, its
/// gallery's viewer with all nine maps, and the explorer link carrying the map's request. Screenshots of the jobs page
/// and the viewer (desktop 1440×900 and phone 390×844, light and dark) go to artifacts/e2e/.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobsGalleryEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly JobsAppFactory _app = new(kestrel: true);
    private E2eBrowser? _browser;

    private E2eBrowser Browser => _browser!;

    public async Task InitializeAsync() => _browser = await E2eBrowser.LaunchAsync();

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _app.Dispose();
    }

    [Fact]
    public async Task AThreeClassesByThreeMethodsJobShowsNineMapsOfAPhotoAndOpensEachInTheExplorer()
    {
        IPage page = await Browser.NewPageAsync("jobs", Timeout, Desktop());
        try
        {
            string jobId = await StartJobAsync(page, ["cat.bmp", "dog.jpg"], "top3", ["cam", "gradcam++"]);
            await page.GotoAsync($"{_app.ServerAddress}jobs/{jobId}");
            await page.WaitForSelectorAsync("[data-job-results][data-interactive='true']");
            ILocator first = page.Locator("[data-open-maps]").First;
            Assert.Contains("9 maps", await first.InnerTextAsync());
            await first.ClickAsync();

            ILocator maps = page.Locator("[data-photo-maps] [data-map]");
            await maps.First.WaitForAsync();
            Assert.Equal(9, await maps.CountAsync());
            // Rows are the three classes, columns the three methods: every pair once.
            var cells = new HashSet<string>();
            foreach (ILocator map in await maps.AllAsync())
                cells.Add((await map.GetAttributeAsync("data-map"))!);
            Assert.Equal(9, cells.Count);
            Assert.Equal(3, cells.Select(c => c.Split(':')[0]).Distinct().Count());
            Assert.Equal(3, cells.Select(c => c.Split(':')[1]).Distinct().Count());
            Assert.All(cells.Select(c => c.Split(':')[0]), m => Assert.Contains(m, new[] { "gradcam", "cam", "gradcam++" }));

            // Every cell's picture loaded (a real PNG, not a broken link).
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-photo-maps] [data-map] img')].every(i => i.complete && i.naturalWidth > 0)");

            // Choosing a cell shows that map large, and the explorer link carries its method, class and layer.
            ILocator pick = page.Locator("[data-photo-maps] [data-map^='gradcam++:']").Last;
            string cell = (await pick.GetAttributeAsync("data-map"))!;
            await pick.ClickAsync();
            await Assertions.Expect(pick).ToHaveAttributeAsync("aria-pressed", "true");
            string large = (await page.Locator("[data-map-large]").GetAttributeAsync("src"))!;
            Assert.Equal(await pick.Locator("img").GetAttributeAsync("src"), large);
            string href = (await page.Locator("[data-open-explorer]").GetAttributeAsync("href"))!;
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(new Uri("http://x"), href).Query);
            Assert.Equal(jobId, query["job"].ToString());
            Assert.Equal("gradcam++", query["method"].ToString());
            Assert.Equal(cell.Split(':')[1], query["class"].ToString());
            Assert.False(string.IsNullOrEmpty(query["layer"].ToString()));
            Assert.NotEqual("auto", query["layer"].ToString());

            await ShootPagesAsync(jobId);
            Browser.AssertNoErrors();
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(page, "jobs-gallery-failure");
            throw;
        }
    }

    [Fact]
    public async Task MorePhotosThanAJobTakesKeepsTheFirstOnesAndNamesTheOthers()
    {
        using var small = new JobsAppFactory(kestrel: true) { ConfigureJobs = o => o.MaxPhotos = 2 };
        IPage page = await Browser.NewPageAsync("jobs-limit", Timeout, Desktop());
        await page.GotoAsync($"{small.ServerAddress}jobs");
        await page.WaitForSelectorAsync("[data-jobs-page][data-interactive='true']");
        await page.Locator("input[type=file][multiple]").SetInputFilesAsync(new[] { "cat.bmp", "dog.jpg", "owl.jpg" }.Select(SharedResources.Image));
        await page.WaitForSelectorAsync("text=2 photo(s) chosen");
        ILocator notice = page.Locator("[data-jobs-left-out]");
        await Assertions.Expect(notice).ToContainTextAsync("owl.jpg");
        Assert.DoesNotContain("cat.bmp", await notice.InnerTextAsync());
        Assert.Equal("1", await notice.GetAttributeAsync("data-jobs-left-out"));
        Browser.AssertNoErrors();
    }

    /// <summary>Uploads the photos, sets classes and adds methods to Grad-CAM, starts the job and waits for it to complete.</summary>
    private async Task<string> StartJobAsync(IPage page, string[] photos, string classes, string[] moreMethods)
    {
        await page.GotoAsync($"{_app.ServerAddress}jobs");
        await page.WaitForSelectorAsync("[data-jobs-page][data-interactive='true']");
        await page.Locator("input[type=file][multiple]").SetInputFilesAsync(photos.Select(SharedResources.Image));
        await page.WaitForSelectorAsync($"text={photos.Length} photo(s) chosen");
        ILocator classesInput = page.Locator("[data-field='classes']").Locator("xpath=descendant-or-self::input").First;
        await classesInput.FillAsync(classes);
        await classesInput.PressAsync("Tab");
        foreach (string method in moreMethods)
            await page.Locator($"[data-jobs-methods] [data-method='{method}']").ClickAsync();
        await page.ClickAsync("[data-submit-job]");
        ILocator job = page.Locator("[data-job]").First;
        await job.Locator("[data-state]:text('completed')").WaitForAsync(new() { Timeout = (float)Timeout.TotalMilliseconds });
        Assert.Contains($"{photos.Length} / {photos.Length} photos", await job.InnerTextAsync());
        // The queue names the job by its photos and says when it ran and what it takes on disk.
        Assert.Contains(photos[0], await job.Locator("[data-job-name]").InnerTextAsync());
        Assert.Matches(@"\d", await job.Locator("[data-job-disk]").InnerTextAsync());
        await job.Locator("[data-job-finished]").WaitForAsync();
        return (await job.GetAttributeAsync("data-job"))!;
    }

    /// <summary>The jobs page, the gallery and the viewer in each size and theme, for people to look at.</summary>
    private async Task ShootPagesAsync(string jobId)
    {
        foreach (var (size, phone) in PageShots.Sizes)
        {
            foreach (bool dark in new[] { false, true })
            {
                string theme = dark ? "dark" : "light";
                IPage page = await Browser.NewPageAsync($"jobs-{size}-{theme}", Timeout, PageShots.Context(phone, dark));
                await page.GotoAsync($"{_app.ServerAddress}jobs");
                await page.WaitForSelectorAsync("[data-jobs-page][data-interactive='true']");
                await PageShots.UseThemeAsync(page, dark);
                await page.Locator("[data-job-facts]").First.WaitForAsync();
                await PageShots.ShootAsync(page, $"jobs-{size}-{theme}");
                await page.GotoAsync($"{_app.ServerAddress}jobs/{jobId}");
                await page.WaitForSelectorAsync("[data-job-results][data-interactive='true']");
                await PageShots.UseThemeAsync(page, dark);
                await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-open-maps] img')].every(i => i.complete)");
                await PageShots.ShootAsync(page, $"job-gallery-{size}-{theme}");
                await page.Locator("[data-open-maps]").First.ClickAsync();
                await page.Locator("[data-photo-maps] [data-map]").First.WaitForAsync();
                await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-photo-maps] img')].every(i => i.complete)");
                await PageShots.ShootAsync(page, $"job-maps-{size}-{theme}", fullPage: false);
                await page.Context.CloseAsync();
            }
        }
    }

    private static BrowserNewContextOptions Desktop() => PageShots.Context(phone: false, dark: false);
}
