using Microsoft.Playwright;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// Debian's Chromium (headless, through Playwright) for the end-to-end tests: one browser, any number of isolated
/// contexts. Every console error, page error and HTTP error response of every page is collected, named by the page's
/// label, so a test can fail on them. Screenshots go to artifacts/e2e/ (gitignored).
/// </summary>
/// <remarks>Playwright's own browser download is never used: a missing Chromium fails with how to install it.</remarks>
public sealed class E2eBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] LaunchArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private E2eBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>artifacts/e2e/ at the repository root (created).</summary>
    public static string ArtifactsDirectory { get; } = CreateArtifactsDirectory();

    public static async Task<E2eBrowser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException(
                $"Chromium is missing ({ChromiumPath}): run scripts/setup.sh --with-browser (installs Debian's chromium package). " +
                "Never run Playwright's own browser download.");
        IPlaywright playwright = await Playwright.CreateAsync();
        try
        {
            IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = LaunchArgs,
            });
            return new E2eBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Everything that went wrong in any page so far, each line starting with the page's label.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
                return [.. _errors];
        }
    }

    /// <summary>A page in a context of its own (own cookies, own Blazor circuit), watched for errors.</summary>
    public async Task<IPage> NewPageAsync(string label, TimeSpan defaultTimeout, BrowserNewContextOptions? options = null)
    {
        IBrowserContext context = await _browser.NewContextAsync(options ?? new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
        });
        IPage page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)defaultTimeout.TotalMilliseconds);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                AddError($"{label} console: {message.Text}");
        };
        page.PageError += (_, error) => AddError($"{label} page error: {error}");
        // The console only says "404"; the response says which URL.
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
                AddError($"{label} HTTP {response.Status}: {response.Url}");
        };
        return page;
    }

    public void AssertNoErrors() =>
        Assert.True(Errors.Count == 0, "browser errors:\n" + string.Join("\n", Errors));

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactsDirectory, $"{name}.png"), FullPage = true });

    /// <summary>Keeps what the browser showed when a scenario broke (screenshot and HTML); never throws.</summary>
    public static async Task SaveFailureAsync(IPage page, string name)
    {
        try
        {
            await ScreenshotAsync(page, name);
            await File.WriteAllTextAsync(Path.Combine(ArtifactsDirectory, $"{name}.html"), await page.ContentAsync());
        }
        catch (PlaywrightException)
        {
            // The page itself may be what broke; the original failure is what matters.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private void AddError(string error)
    {
        lock (_errors)
            _errors.Add(error);
    }

    private static string CreateArtifactsDirectory()
    {
        string root = Directory.GetCurrentDirectory();
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CamStudio.sln")))
            {
                root = dir.FullName;
                break;
            }
        }
        string artifacts = Path.Combine(root, "artifacts", "e2e");
        Directory.CreateDirectory(artifacts);
        return artifacts;
    }
}
