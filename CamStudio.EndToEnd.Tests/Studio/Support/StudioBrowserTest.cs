using Microsoft.Playwright;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// Base of the studio's Playwright tests: the real app on Kestrel (real engine, shared MobileNetV2) and one
/// Debian Chromium, started before each test and disposed after it.
/// </summary>
public abstract class StudioBrowserTest : IAsyncLifetime
{
    protected static readonly TimeSpan ComputeTimeout = TimeSpan.FromMinutes(2);

    private readonly StudioAppFactory _factory = new();
    private E2eBrowser? _browser;

    protected E2eBrowser Browser => _browser ?? throw new InvalidOperationException("The browser starts in InitializeAsync.");

    protected string BaseUrl { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // Every expectation waits as long as a computation may take: a class change on the shared 2-core box under
        // other helpers' builds takes seconds, not Playwright's default 5 s.
        Assertions.SetDefaultExpectTimeout((float)ComputeTimeout.TotalMilliseconds);
        _browser = await E2eBrowser.LaunchAsync();
        BaseUrl = _factory.StartKestrel();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.DisposeAsync();
        await _factory.DisposeAsync();
    }
}
