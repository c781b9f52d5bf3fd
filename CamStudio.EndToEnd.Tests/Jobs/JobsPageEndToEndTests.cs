using CamStudio.Engine;
using CamStudio.Engine.Models;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CamStudio.Tests.Jobs;

/// <summary>The jobs page in Debian's Chromium: upload photos, start, watch progress and thumbnails, open the gallery.</summary>
[Collection(TorchCollection.Name)]
public sealed class JobsPageEndToEndTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly JobsAppFactory _app = new(kestrel: true);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task UploadedPhotosBecomeAJobWhoseThumbnailsAndGalleryAppear()
    {
        Assert.True(File.Exists(Chromium), $"Debian's Chromium is missing at {Chromium}: run scripts/setup.sh --with-browser.");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = _app.ServerAddress.ToString() });
        await page.GotoAsync("jobs");
        await page.WaitForSelectorAsync("[data-jobs-page][data-interactive='true']");

        await page.Locator("input[type=file][multiple]").SetInputFilesAsync(
            new[] { "cat.bmp", "dog.jpg", "owl.jpg" }.Select(SharedResources.Image));
        await page.WaitForSelectorAsync("text=3 photo(s) chosen");
        await page.ClickAsync("[data-submit-job]");

        var job = page.Locator("[data-job]").First;
        await job.Locator("[data-state]:text('completed')").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        Assert.Contains("3 / 3 photos", await job.InnerTextAsync());
        string jobId = (await job.GetAttributeAsync("data-job"))!;

        await page.GotoAsync($"jobs/{jobId}");
        await page.WaitForSelectorAsync("[data-job-results][data-interactive='true']");
        Assert.Equal(3, await page.Locator("[data-photo]").CountAsync());
        Assert.Equal(3, await page.Locator("a:text('Open in explorer')").CountAsync());
        // Filtering by the first photo's predicted class leaves only the photos with that top-1 class.
        // The filter is a MudSelect: open it, then pick the first class below "all" from its popover list.
        await page.Locator("[data-class-filter] .mud-input-control").ClickAsync();
        ILocator firstOption = page.Locator(".mud-popover-open [data-class-option]").First;
        await firstOption.WaitForAsync();
        string firstClass = (await firstOption.GetAttributeAsync("data-class-option"))!;
        await firstOption.ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('[data-photo]').length < 3");
        int shown = await page.Locator("[data-photo]").CountAsync();
        Assert.InRange(shown, 1, 2);
        foreach (var card in await page.Locator("[data-photo]").AllAsync())
            Assert.Contains(firstClass.Split(',')[0], await card.InnerTextAsync());
    }

    [Fact]
    public async Task TheFormOffersOnlyTheMethodsTheEngineListsAndShowsRefusalsBesideTheirField()
    {
        Assert.True(File.Exists(Chromium), $"Debian's Chromium is missing at {Chromium}: run scripts/setup.sh --with-browser.");
        var engine = _app.Services.GetRequiredService<CamEngine>();
        EngineModelDetails model = await engine.GetModelAsync(null);
        string? layer = null;
        MethodAvailability? cam = null;
        foreach (LayerInfo candidate in model.Layers.Where(l => l.Shape.Length == 4 && l.Name != model.AutoLayer))
        {
            cam = (await engine.MethodsForAsync(null, candidate.Name)).Single(m => m.Id == "cam");
            if (!cam.IsAvailable)
            {
                layer = candidate.Name;
                break;
            }
        }
        Assert.NotNull(layer);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = _app.ServerAddress.ToString() });
        await page.GotoAsync("jobs");
        await page.WaitForSelectorAsync("[data-jobs-page][data-interactive='true']");
        // At the default layer CAM applies; at the chosen layer it is greyed out with the engine's reason.
        Assert.Equal(0, await page.Locator("[data-method='cam'][data-unavailable]").CountAsync());
        // The layer is picked from the model's layers, searched by part of its name.
        ILocator layerInput = page.Locator("[data-field='layer']").Locator("xpath=descendant-or-self::input").First;
        await layerInput.ClickAsync();
        await layerInput.FillAsync(layer);
        await page.Locator($".mud-popover-open [data-layer-option='{layer}']").ClickAsync();
        ILocator disabledCam = page.Locator("[data-method='cam'][data-unavailable]");
        await disabledCam.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        Assert.Equal(cam!.Reason, await disabledCam.GetAttributeAsync("data-unavailable"));
        Assert.Equal(1, await page.Locator("[data-method='gradcam']:not([data-unavailable])").CountAsync());

        // A search that matches no layer says so rather than keeping a name the engine would refuse.
        await layerInput.FillAsync("no-such-layer-anywhere");
        await page.Locator("[data-layer-no-match]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        // The model is one of the engine's models, not free text: the picker lists them, the default first.
        await page.Locator("[data-model-picker] .mud-select").First.ClickAsync();
        ILocator options = page.Locator(".mud-popover-open [data-model-option]");
        await options.First.WaitForAsync();
        var listed = new List<string>();
        foreach (ILocator option in await options.AllAsync())
            listed.Add((await option.GetAttributeAsync("data-model-option"))!);
        Assert.Equal(["", .. engine.ListModels().Select(m => m.Name)], listed);
        Assert.Equal(0, await page.Locator("[data-jobs-error]").CountAsync());
    }
}
