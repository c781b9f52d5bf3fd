using System.Net;
using System.Net.Sockets;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Playwright;

namespace CamStudio.Tests.Web;

/// <summary>
/// The studio end to end: the real app on Kestrel (127.0.0.1, a free port) with the real engine and model,
/// driven by Debian's Chromium through Playwright. Any console error or page error fails the test.
/// Screenshots go to artifacts/e2e/.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class StudioEndToEndTests : IAsyncLifetime
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private static readonly TimeSpan ComputeTimeout = TimeSpan.FromMinutes(2);

    private readonly StudioAppFactory _factory = new();
    private readonly List<string> _browserErrors = [];
    private readonly string _artifacts = Path.Combine(RepositoryRoot(), "artifacts", "e2e");
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException(
                $"Chromium is missing ({ChromiumPath}): run scripts/setup.sh --with-browser (installs Debian's chromium package). " +
                "Never run Playwright's own browser download.");
        Directory.CreateDirectory(_artifacts);
        int port = FreePort();
        _factory.UseKestrel(options => options.Listen(IPAddress.Loopback, port));
        _factory.StartServer();
        _baseUrl = $"http://127.0.0.1:{port}";
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        _playwright?.Dispose();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task UploadExploreCompareAndDownloadTheSheet()
    {
        IPage? page = null;
        try
        {
            page = await NewPageAsync();
            await RunStudioScenarioAsync(page);
        }
        catch when (page is not null)
        {
            // Keep what the browser showed when the scenario broke.
            await Screenshot(page, "failure");
            await File.WriteAllTextAsync(Path.Combine(_artifacts, "failure.html"), await page.ContentAsync());
            throw;
        }
        Assert.True(_browserErrors.Count == 0, "browser errors:\n" + string.Join("\n", _browserErrors));
    }

    private async Task<IPage> NewPageAsync()
    {
        IBrowserContext context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
        });
        IPage page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)ComputeTimeout.TotalMilliseconds);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
                _browserErrors.Add($"console: {message.Text}");
        };
        page.PageError += (_, error) => _browserErrors.Add($"page error: {error}");
        // The console only says "404"; the response says which URL.
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
                _browserErrors.Add($"HTTP {response.Status}: {response.Url}");
        };
        return page;
    }

    private async Task RunStudioScenarioAsync(IPage page)
    {

        await page.GotoAsync(_baseUrl);
        // The interactivity marker: set once the circuit is up, so clicks reach the server.
        await page.Locator("[data-testid=studio][data-interactive=true]").WaitForAsync();

        await page.Locator("input[type=file]").SetInputFilesAsync(SharedResources.Image("both.png"));
        ILocator top = page.Locator("[data-testid=prediction]").First;
        await Assertions.Expect(top).ToHaveAttributeAsync("data-class", "bull mastiff", new() { Timeout = Ms(ComputeTimeout) });
        await page.Locator("[data-testid=overlay] img").WaitForAsync();
        await Assertions.Expect(page.Locator("[data-testid=overlay] figcaption")).ToContainTextAsync("bull mastiff");
        await Screenshot(page, "1-explore");

        // The readout is computed in the browser from the map values sent once.
        await page.Locator("[data-testid=overlay] .overlay-frame img").HoverAsync(new() { Position = new() { X = 20, Y = 20 } });
        await Assertions.Expect(page.Locator("[data-testid=overlay] [data-testid=readout]")).ToContainTextAsync("raw ");
        IDownload npy = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download-npy]").ClickAsync());
        string npyPath = Path.Combine(_artifacts, "map.npy");
        await npy.SaveAsAsync(npyPath);
        CamStudio.Engine.Imaging.NpyArray map = CamStudio.Engine.Imaging.NpyFormat.Read(await File.ReadAllBytesAsync(npyPath));
        Assert.Equal([7, 7], map.Shape);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Side by side" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(1);

        ILocator classInput = page.Locator("[data-testid=grid-class-picker] input");
        await classInput.ClickAsync();
        await classInput.FillAsync("tiger cat");
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new System.Text.RegularExpressions.Regex("^\\s*tiger cat\\s*$") }).First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(2);

        await page.Locator("[data-testid=grid-method-layercam]").ClickAsync();
        ILocator grid = page.Locator("[data-testid=compare-grid]");
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-columns", "2");
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-rows", "2");
        await Assertions.Expect(page.Locator("[data-testid=grid-overlay] .overlay-frame img")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator(".compare-row-label")).ToHaveTextAsync(["bull mastiff", "tiger cat"]);
        await Screenshot(page, "2-grid-own-scale");

        await page.Locator("[data-testid=shared-scale] input").ClickAsync();
        await Assertions.Expect(grid).ToHaveAttributeAsync("data-scale", "shared");
        await page.Locator("[data-testid=shared-color-bar]").WaitForAsync();
        await Screenshot(page, "3-grid-shared-scale");

        IDownload download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=download-sheet]").ClickAsync());
        string sheet = Path.Combine(_artifacts, "sheet.png");
        await download.SaveAsAsync(sheet);
        Assert.Equal("both-comparison.png", download.SuggestedFilename);
        byte[] bytes = await File.ReadAllBytesAsync(sheet);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        // Four 320-pixel overlays plus labels: far more than a blank or broken image.
        Assert.InRange(bytes.Length, 100_000, 20_000_000);

        await page.Locator("[data-testid=theme-toggle]").ClickAsync();
        await Screenshot(page, "4-dark-theme");

    }

    private async Task Screenshot(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_artifacts, $"{name}.png"), FullPage = true });

    private static float Ms(TimeSpan span) => (float)span.TotalMilliseconds;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CamStudio.sln")))
                return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}
