using Microsoft.Playwright;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// A real file drop: Chromium's drag emulation (<c>Input.dispatchDragEvent</c> through a CDP session) delivers the
/// files as a desktop drag would, to whatever element lies under the point, so a drop zone that only reacts to a
/// scripted <c>change</c> on a hidden input does not pass.
/// </summary>
public static class FileDrops
{
    public static async Task DropFilesAsync(IPage page, ILocator target, params string[] paths)
    {
        LocatorBoundingBoxResult box = await target.BoundingBoxAsync() ?? throw new InvalidOperationException("The drop target is not on screen.");
        double x = box.X + box.Width / 2, y = box.Y + box.Height / 2;
        ICDPSession cdp = await page.Context.NewCDPSessionAsync(page);
        var data = new Dictionary<string, object> { ["items"] = Array.Empty<object>(), ["files"] = paths, ["dragOperationsMask"] = 1 };
        foreach (string type in new[] { "dragEnter", "dragOver", "drop" })
            await cdp.SendAsync("Input.dispatchDragEvent", new Dictionary<string, object> { ["type"] = type, ["x"] = x, ["y"] = y, ["data"] = data });
        await cdp.DetachAsync();
    }
}
