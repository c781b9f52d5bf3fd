using Microsoft.Playwright;

namespace CamStudio.Tests.Web.Support;

/// <summary>Steps on the studio page (/) that more than one end-to-end test takes.</summary>
public static class StudioSteps
{
    /// <summary>
    /// Opens the studio, waits for the interactivity marker (set once the circuit is up, so clicks reach the server),
    /// uploads the photo and waits until the explorer shows the overlay of the top class.
    /// </summary>
    public static async Task OpenAndUploadAsync(IPage page, string baseUrl, string photoPath, string expectedTopClass, TimeSpan computeTimeout)
    {
        await page.GotoAsync(baseUrl);
        await WaitForUploadZoneAsync(page);
        await page.Locator("input[type=file]").SetInputFilesAsync(photoPath);
        ILocator top = page.Locator("[data-testid=prediction]").First;
        await Assertions.Expect(top).ToHaveAttributeAsync("data-class", expectedTopClass, new() { Timeout = (float)computeTimeout.TotalMilliseconds });
        await page.Locator("[data-testid=overlay] img").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=overlay] figcaption")).ToContainTextAsync(expectedTopClass);
    }

    /// <summary>
    /// Waits for the interactivity marker and for Blazor's InputFile to listen on the upload input (its init sets
    /// <c>_blazorInputFileNextFileId</c>): a file handed over earlier, on a cold server, would go to an input nobody listens to.
    /// </summary>
    public static async Task WaitForUploadZoneAsync(IPage page)
    {
        await page.Locator("[data-testid=studio][data-interactive=true]").WaitForAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('input[type=file]'); return !!i && i._blazorInputFileNextFileId !== undefined; }");
    }

    /// <summary>Types into a MudAutocomplete inside <paramref name="pickerTestId"/> and clicks the option whose class is named exactly so.</summary>
    public static async Task PickClassAsync(IPage page, string pickerTestId, string className)
    {
        ILocator input = page.Locator($"[data-testid={pickerTestId}] input");
        await input.ClickAsync();
        await input.FillAsync(className);
        await page.Locator(".mud-popover-open .mud-list-item")
            .Filter(new() { Has = page.Locator($"[data-testid=class-option][data-name=\"{className}\"]") }).First.ClickAsync();
    }
}
