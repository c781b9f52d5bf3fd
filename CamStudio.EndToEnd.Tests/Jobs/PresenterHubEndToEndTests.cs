using System.Security.Cryptography;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Jobs;
using CamStudio.Web.Presenter;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// Presenter mode through the hub: two followers (two browser contexts of Debian's Chromium) on /present follow a
/// presenter that publishes over <c>/hubs/present</c> (<c>Publish</c>, then <c>Stop</c>) overlays computed by the real
/// engine, on the app on real Kestrel.
/// </summary>
/// <remarks>
/// The presenter in the studio itself (Present switch, class picker) is covered by
/// <see cref="CamStudio.Tests.Web.StudioPresenterEndToEndTests"/>; this one adds the hub's own Publish/Stop path,
/// several followers at once, and a stopped presentation.
/// </remarks>
[Collection(TorchCollection.Name)]
public sealed class PresenterHubEndToEndTests : IDisposable
{
    private readonly JobsAppFactory _app = new(kestrel: true);

    public void Dispose() => _app.Dispose();

    /// <summary>Overlays of cat.bmp for one class, from the app's own explainer (real engine, shared MobileNetV2).</summary>
    private async Task<PresenterState> StateForClassAsync(int classIndex)
    {
        var explainer = _app.Services.GetRequiredService<IPhotoBatchExplainer>();
        var settings = new JobSettings("", ["gradcam"], classIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), "auto");
        PreparedJob prepared = await explainer.PrepareAsync(settings, "test", CancellationToken.None);
        var outcome = Assert.IsType<PhotoOutcome.Explained>(Assert.Single(await explainer.ExplainBatchAsync(prepared, [SharedResources.Image("cat.bmp")], null, CancellationToken.None)));
        var map = Assert.Single(outcome.Explanation.Maps);
        Assert.Equal(classIndex, map.ClassIndex);
        float probability = outcome.Explanation.TopPredictions.FirstOrDefault(p => p.ClassIndex == classIndex)?.Probability ?? 0;
        return new PresenterState("cat.bmp", null, prepared.ModelName, [map.ClassName], ["gradcam"], prepared.Layer, "jet", 0.5f, false,
            [new PresentedOverlay("gradcam", classIndex, map.ClassName, probability, outcome.OverlayPngs[0])]);
    }

    [Fact]
    public async Task FollowersSeeThePresentersOverlayAfterThePresenterChangesClass()
    {
        await using E2eBrowser browser = await E2eBrowser.LaunchAsync();
        PresenterState tabby = await StateForClassAsync(281), tigerCat = await StateForClassAsync(282);
        Assert.NotEqual(Sha(tabby.Overlays[0].Png), Sha(tigerCat.Overlays[0].Png));

        var followers = new List<IPage>();
        foreach (int follower in new[] { 1, 2 })
        {
            IPage page = await browser.NewPageAsync($"follower {follower}", TimeSpan.FromSeconds(30),
                new BrowserNewContextOptions { BaseURL = _app.ServerAddress.ToString() });
            await page.GotoAsync("present");
            await page.WaitForSelectorAsync("[data-present-page][data-interactive='true']");
            Assert.Contains("Nobody is presenting", await page.InnerTextAsync("[data-present-page]"));
            followers.Add(page);
        }

        await using var presenter = new HubConnectionBuilder()
            .WithUrl(new Uri(_app.ServerAddress, "hubs/present"))
            .Build();
        await presenter.StartAsync();

        await presenter.InvokeAsync<long>("Publish", tabby);
        foreach (IPage page in followers)
            await AssertShowsAsync(page, tabby);

        await presenter.InvokeAsync<long>("Publish", tigerCat); // the presenter changes class
        foreach (IPage page in followers)
        {
            await AssertShowsAsync(page, tigerCat);
            Assert.Equal(0, await page.Locator("[data-present-overlay][data-class='281']").CountAsync());
        }

        await presenter.InvokeAsync("Stop");
        foreach (IPage page in followers)
            await page.WaitForSelectorAsync("text=Nobody is presenting");
        browser.AssertNoErrors();
    }

    /// <summary>The page shows the state's class and its overlay image, loaded, with exactly the published bytes.</summary>
    private async Task AssertShowsAsync(IPage page, PresenterState state)
    {
        PresentedOverlay expected = state.Overlays[0];
        var figure = page.Locator($"[data-present-overlay][data-class='{expected.ClassIndex}']");
        await figure.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        Assert.Contains(expected.ClassName, await figure.InnerTextAsync());
        var image = figure.Locator("img");
        await page.WaitForFunctionAsync("img => img.complete && img.naturalWidth > 0", await image.ElementHandleAsync());
        string src = (await image.GetAttributeAsync("src"))!;
        using var http = new HttpClient { BaseAddress = _app.ServerAddress };
        byte[] shown = await http.GetByteArrayAsync(src.TrimStart('/'));
        Assert.Equal(Sha(expected.Png), Sha(shown));
    }

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));
}
