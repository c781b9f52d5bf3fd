using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The explorer's upload zone and controls for every kind of user: a photo dragged from the desktop, a keyboard user
/// who never touches the mouse, a screen reader that needs a name for every control.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioAccessEndToEndTests : StudioBrowserTest
{
    [Fact]
    public async Task APhotoDroppedOnTheUploadZoneIsExplained()
    {
        IPage page = await Browser.NewPageAsync("drop", ComputeTimeout);
        await OpenAsync(page);

        await FileDrops.DropFilesAsync(page, page.Locator("[data-testid=upload]"), SharedResources.Image("both.png"));

        await Assertions.Expect(page.Locator("[data-testid=thumbnail]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=prediction]").First)
            .ToHaveAttributeAsync("data-class", "bull mastiff", new() { Timeout = (float)ComputeTimeout.TotalMilliseconds });
        await page.Locator("[data-testid=overlay] img").WaitForAsync();
        Browser.AssertNoErrors();
    }

    [Fact]
    public async Task TabReachesTheUploadZoneAndEnterOpensTheChooser()
    {
        IPage page = await Browser.NewPageAsync("keyboard", ComputeTimeout);
        await OpenAsync(page);

        bool reached = false;
        for (int i = 0; i < 30 && !reached; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            // The zone's own file input, not another control of the upload panel.
            reached = await page.EvaluateAsync<bool>("() => !!document.activeElement && document.activeElement.matches('[data-testid=upload] input.file-drop-input')");
        }
        Assert.True(reached, "30 presses of Tab never reached the upload zone");
        // The focus ring is drawn (not the browser's faint default on an invisible input): the zone has an outline.
        string outline = await page.EvaluateAsync<string>(
            "() => getComputedStyle(document.querySelector('[data-testid=upload] .upload-zone')).outlineStyle");
        Assert.Equal("solid", outline);

        // Enter on the focused zone (through its locator, so a re-render between Tab and Enter cannot move the focus
        // away; the Enter handler is the studio's script, so wait until it is loaded).
        await page.WaitForFunctionAsync("() => !!window.camStudio");
        ILocator zone = page.Locator("[data-testid=upload] input.file-drop-input");
        IFileChooser chooser = await page.RunAndWaitForFileChooserAsync(() => zone.PressAsync("Enter"));
        Assert.True(chooser.IsMultiple);
        await chooser.SetFilesAsync(SharedResources.Image("both.png"));
        await Assertions.Expect(page.Locator("[data-testid=prediction]").First)
            .ToHaveAttributeAsync("data-class", "bull mastiff", new() { Timeout = (float)ComputeTimeout.TotalMilliseconds });
        Browser.AssertNoErrors();
    }

    [Fact]
    public async Task EveryControlOfTheExplorerHasAnAccessibleName()
    {
        IPage page = await Browser.NewPageAsync("names", ComputeTimeout);
        AssertNamed("empty explorer", await OpenAndNamesAsync(page));

        await StudioSteps.OpenAndUploadAsync(page, BaseUrl, SharedResources.Image("both.png"), "bull mastiff", ComputeTimeout);
        AssertNamed("explore tab", await AccessibleNames.UnnamedAsync(page));

        await page.GetByRole(AriaRole.Tab, new() { Name = "Side by side" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(1);
        AssertNamed("side-by-side tab", await AccessibleNames.UnnamedAsync(page));
        Browser.AssertNoErrors();
    }

    private static void AssertNamed(string where, IReadOnlyList<string> unnamed) =>
        Assert.True(unnamed.Count == 0, $"{where}: {unnamed.Count} controls without an accessible name:\n" + string.Join("\n", unnamed));

    private async Task<IReadOnlyList<string>> OpenAndNamesAsync(IPage page)
    {
        await OpenAsync(page);
        return await AccessibleNames.UnnamedAsync(page);
    }

    private async Task OpenAsync(IPage page)
    {
        await page.GotoAsync(BaseUrl);
        await StudioSteps.WaitForUploadZoneAsync(page);
    }
}
