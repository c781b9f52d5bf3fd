using System.Security.Cryptography;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// Presenter mode end to end, both sides in the browser: the real app on Kestrel (real engine, shared MobileNetV2),
/// one Chromium with two contexts. The presenter works in the studio (/) with Present on; the follower watches
/// /present. Any console error, page error or HTTP error in either context fails the test.
/// Screenshots of both go to artifacts/e2e/.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioPresenterEndToEndTests : StudioBrowserTest
{

    [Fact]
    public async Task TheFollowerShowsThePresentersOverlayAfterThePresenterChangesClass()
    {
        IPage presenter = await Browser.NewPageAsync("presenter", ComputeTimeout);
        IPage follower = await Browser.NewPageAsync("follower", ComputeTimeout);
        try
        {
            await StudioSteps.OpenAndUploadAsync(presenter, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            await presenter.Locator("input[data-present-toggle], [data-present-toggle] input").First.ClickAsync();
            await Assertions.Expect(presenter.GetByText("Presenting", new() { Exact = true })).ToBeVisibleAsync();

            // The follower joins while the presentation runs (joining before it starts: PresenterHubEndToEndTests).
            await follower.GotoAsync($"{BaseUrl}/present");
            await follower.Locator("[data-present-page][data-interactive=true]").WaitForAsync();

            byte[] bullMastiff = await PresentersOverlayAsync(presenter, "bull mastiff");
            string bullMastiffSrc = await FollowerShowsAsync(follower, "bull mastiff", bullMastiff);
            await E2eBrowser.ScreenshotAsync(presenter, "presenter-1-bull-mastiff");
            await E2eBrowser.ScreenshotAsync(follower, "follower-1-bull-mastiff");

            // The presenter changes class in the explorer; the follower's page follows without a reload.
            await StudioSteps.PickClassAsync(presenter, "class-picker", "tiger cat");
            byte[] tigerCat = await PresentersOverlayAsync(presenter, "tiger cat");
            Assert.NotEqual(Sha(bullMastiff), Sha(tigerCat));
            string tigerCatSrc = await FollowerShowsAsync(follower, "tiger cat", tigerCat);
            Assert.NotEqual(bullMastiffSrc, tigerCatSrc);
            await E2eBrowser.ScreenshotAsync(presenter, "presenter-2-tiger-cat");
            await E2eBrowser.ScreenshotAsync(follower, "follower-2-tiger-cat");

            // The room's view in every size and theme, for people to look at (issue 14: desktop and phone, light and dark).
            foreach (var (size, phone) in CamStudio.Tests.Jobs.PageShots.Sizes)
            {
                foreach (bool dark in new[] { false, true })
                {
                    string theme = dark ? "dark" : "light";
                    IPage room = await Browser.NewPageAsync($"present-{size}-{theme}", ComputeTimeout, CamStudio.Tests.Jobs.PageShots.Context(phone, dark));
                    await room.GotoAsync($"{BaseUrl}/present");
                    await room.Locator("[data-present-page][data-interactive=true]").WaitForAsync();
                    await CamStudio.Tests.Jobs.PageShots.UseThemeAsync(room, dark);
                    await FollowerShowsAsync(room, "tiger cat", tigerCat);
                    await CamStudio.Tests.Jobs.PageShots.ShootAsync(room, $"present-{size}-{theme}", fullPage: false);
                    await room.Context.CloseAsync();
                }
            }
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(presenter, "presenter-failure");
            await E2eBrowser.SaveFailureAsync(follower, "follower-failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    [Fact]
    public async Task OnlyOneTabPresentsAndATakeOverAsksAndEveryoneSeesWhoPresents()
    {
        // Two explorers on the host (one browser session: loopback) and a follower.
        IPage alice = await Browser.NewPageAsync("alice", ComputeTimeout);
        IPage bob = await Browser.NewPageAsync("bob", ComputeTimeout);
        IPage follower = await Browser.NewPageAsync("follower", ComputeTimeout);
        try
        {
            await StudioSteps.OpenAndUploadAsync(alice, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            await StudioSteps.OpenAndUploadAsync(bob, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
            await bob.Locator("[data-testid=prediction][data-class='tiger cat']").ClickAsync();
            await Assertions.Expect(bob.Locator("[data-testid=overlay] figcaption")).ToContainTextAsync("tiger cat");
            await follower.GotoAsync($"{BaseUrl}/present");
            await follower.Locator("[data-present-page][data-interactive=true]").WaitForAsync();

            await Toggle(alice).ClickAsync();
            await Assertions.Expect(State(alice)).ToHaveAttributeAsync("data-present-state", "presenting");
            // Bob's switch sees Alice's presentation and stays off when clicked: it says who presents.
            await Assertions.Expect(State(bob)).ToHaveAttributeAsync("data-present-state", "other");
            await Toggle(bob).ClickAsync();
            await Assertions.Expect(State(bob)).ToHaveAttributeAsync("data-present-state", "other");
            await Assertions.Expect(bob.Locator("[data-present-other]")).ToContainTextAsync("is presenting");
            await Assertions.Expect(bob.GetByText("Presenting", new() { Exact = true })).ToHaveCountAsync(0);
            await Assertions.Expect(follower.Locator("[data-present-class]")).ToHaveTextAsync("bull mastiff");
            await Assertions.Expect(follower.Locator("[data-present-by]")).ToContainTextAsync("is presenting");

            // Take over asks first; Cancel changes nothing.
            await bob.Locator("[data-present-takeover]").ClickAsync();
            await bob.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
            await Assertions.Expect(State(alice)).ToHaveAttributeAsync("data-present-state", "presenting");
            await bob.Locator("[data-present-takeover]").ClickAsync();
            await bob.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Take over" }).ClickAsync();
            await Assertions.Expect(State(bob)).ToHaveAttributeAsync("data-present-state", "presenting");
            await Assertions.Expect(State(alice)).ToHaveAttributeAsync("data-present-state", "other");
            await Assertions.Expect(alice.Locator("[data-present-busy]")).ToContainTextAsync("took the presentation over");
            await Assertions.Expect(follower.Locator("[data-present-class]")).ToHaveTextAsync("tiger cat");
            await E2eBrowser.ScreenshotAsync(alice, "presenter-taken-over");

            // Bob stops: nobody presents, and both switches say so.
            await Toggle(bob).ClickAsync();
            await Assertions.Expect(State(bob)).ToHaveAttributeAsync("data-present-state", "off");
            await Assertions.Expect(State(alice)).ToHaveAttributeAsync("data-present-state", "off");
            await Assertions.Expect(follower.GetByText("Nobody is presenting right now.")).ToBeVisibleAsync();
        }
        catch
        {
            await E2eBrowser.SaveFailureAsync(alice, "handover-alice-failure");
            await E2eBrowser.SaveFailureAsync(bob, "handover-bob-failure");
            await E2eBrowser.SaveFailureAsync(follower, "handover-follower-failure");
            throw;
        }
        Browser.AssertNoErrors();
    }

    private static ILocator Toggle(IPage page) => page.Locator("[data-present-toggle] input, input[data-present-toggle]").First;

    private static ILocator State(IPage page) => page.Locator("[data-present-state]");

    /// <summary>The PNG the explorer shows for <paramref name="className"/> (its image is a data: URL).</summary>
    private static async Task<byte[]> PresentersOverlayAsync(IPage presenter, string className)
    {
        await Assertions.Expect(presenter.Locator("[data-testid=overlay] figcaption")).ToContainTextAsync(className);
        string src = (await presenter.Locator("[data-testid=overlay] .overlay-frame img").GetAttributeAsync("src"))!;
        const string prefix = "data:image/png;base64,";
        Assert.StartsWith(prefix, src);
        return Convert.FromBase64String(src[prefix.Length..]);
    }

    /// <summary>
    /// Waits until the follower shows one overlay, of <paramref name="className"/>, loaded, whose bytes (fetched from
    /// its src) are exactly <paramref name="expectedPng"/>; returns that src.
    /// </summary>
    private async Task<string> FollowerShowsAsync(IPage follower, string className, byte[] expectedPng)
    {
        ILocator figure = follower.Locator("[data-present-overlay]");
        await Assertions.Expect(figure.Locator("[data-present-class]")).ToHaveTextAsync(className);
        await Assertions.Expect(figure).ToHaveCountAsync(1);
        string src = (await figure.Locator("img").GetAttributeAsync("src"))!; // the overlay's one image (the colour bar is a background)
        await follower.WaitForFunctionAsync(
            "src => { const img = document.querySelector('[data-present-overlay] img'); return img !== null && img.getAttribute('src') === src && img.complete && img.naturalWidth > 0; }",
            src);
        using var http = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        byte[] shown = await http.GetByteArrayAsync(src);
        Assert.Equal(Sha(expectedPng), Sha(shown));
        return src;
    }

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));
}
