using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Jobs;

/// <summary>The sizes and themes the jobs and models pages are photographed in, and how to put a page in a theme.</summary>
internal static class PageShots
{
    public static readonly (string Name, bool Phone)[] Sizes = [("desktop", false), ("phone", true)];

    /// <summary>A context of 1440×900 (desktop) or 390×844 at 2× with touch (phone), asking for the theme's colour scheme.</summary>
    public static BrowserNewContextOptions Context(bool phone, bool dark) => new()
    {
        ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1440, Height = 900 },
        DeviceScaleFactor = phone ? 2 : 1,
        IsMobile = phone,
        HasTouch = phone,
        ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
    };

    /// <summary>
    /// Puts the page in the theme: the layout follows the context's colour scheme (or the remembered choice); one
    /// click on the toggle only when it does not. Then moves the pointer off the toggle so its tooltip is not in the
    /// picture.
    /// </summary>
    public static async Task UseThemeAsync(IPage page, bool dark)
    {
        ILocator toggle = page.Locator("[data-testid=theme-toggle]");
        string wanted = dark ? "dark" : "light";
        // The context's colour scheme is the wanted one, and the layout follows it once its script has run: wait for
        // that before deciding to click, or the click races the layout and undoes it.
        try
        {
            await Assertions.Expect(toggle).ToHaveAttributeAsync("data-theme", wanted, new() { Timeout = 3000 });
        }
        catch (PlaywrightException)
        {
            await toggle.ClickAsync();
            await Assertions.Expect(toggle).ToHaveAttributeAsync("data-theme", wanted);
        }
        await page.Mouse.MoveAsync(1, 400);
        await page.WaitForTimeoutAsync(300); // the tooltip's fade-out
    }

    public static Task ShootAsync(IPage page, string name, bool fullPage = true) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(E2eBrowser.ArtifactsDirectory, $"{name}.png"), FullPage = fullPage });
}
