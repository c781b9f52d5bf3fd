using Bunit;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Access;
using CamStudio.Web.Presenter;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CamStudio.Tests.Jobs;

/// <summary>The explorer's Present switch: publishes the explorer's state while on, stops when off or disposed.</summary>
public sealed class PresentToggleTests : IAsyncLifetime
{
    // MudBlazor's services are only async-disposable, so the context is disposed asynchronously (not by xunit's Dispose).
    private readonly BunitContext _context = new();
    private readonly PresenterSession _session;

    public PresentToggleTests()
    {
        _context.Services.AddMudServices();
        _context.Services.AddLogging();
        _context.Services.AddSignalR();
        _context.Services.AddSingleton<PresenterSession>();
        _context.Services.AddStudioCaller(StudioCaller.Host);
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _session = _context.Services.GetRequiredService<PresenterSession>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _context.DisposeAsync().AsTask();

    private IRenderedComponent<PresentToggle> RenderToggle(Action<ComponentParameterCollectionBuilder<PresentToggle>> parameters) =>
        _context.Render(parameters);

    private static PresenterState State(int classIndex) => new("cat.bmp", [1, 2, 3], "mobilenetv2", [$"class {classIndex}"], ["gradcam"], "layer", "jet", 0.5f, false,
        [new PresentedOverlay("gradcam", classIndex, $"class {classIndex}", 0.5f, [0x89, 0x50, (byte)classIndex])]);

    [Fact]
    public void StatesArePublishedOnlyWhilePresenting()
    {
        var cut = RenderToggle(p => p.Add(t => t.State, State(281)));
        Assert.False(_session.IsPresenting);

        cut.Find("input").Change(true);
        Assert.True(_session.IsPresenting);
        Assert.Equal(281, Assert.Single(_session.Current.Overlays).ClassIndex);

        cut.Render(p => p.Add(t => t.State, State(282))); // the presenter picks another class
        Assert.Equal(282, Assert.Single(_session.Current.Overlays).ClassIndex);
        Assert.Equal([0x89, 0x50, 282 & 0xFF], _session.Image(_session.Current.Version, "0"));
        Assert.Equal([1, 2, 3], _session.Image(_session.Current.Version, "photo"));

        cut.Find("input").Change(false);
        Assert.False(_session.IsPresenting);
        long stopped = _session.Current.Version;
        cut.Render(p => p.Add(t => t.State, State(283)));
        Assert.Equal(stopped, _session.Current.Version); // not presenting: nothing is published
    }

    [Fact]
    public async Task LeavingTheExplorerEndsThePresentation()
    {
        var cut = RenderToggle(p => p.Add(t => t.State, State(1)));
        cut.Find("input").Change(true);
        Assert.True(_session.IsPresenting);
        await _context.DisposeComponentsAsync();
        Assert.False(_session.IsPresenting);
    }
}

/// <summary>The Present switch of a LAN session while another session presents: it says so and publishes nothing.</summary>
public sealed class PresentToggleOfAnotherSessionTests : IAsyncLifetime
{
    private readonly BunitContext _context = new();
    private readonly PresenterSession _session;

    public PresentToggleOfAnotherSessionTests()
    {
        _context.Services.AddMudServices();
        _context.Services.AddLogging();
        _context.Services.AddSignalR();
        _context.Services.AddSingleton<PresenterSession>();
        _context.Services.AddStudioCaller(new StudioCaller("s-bob", IsHost: false));
        _context.JSInterop.Mode = JSRuntimeMode.Loose;
        _session = _context.Services.GetRequiredService<PresenterSession>();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _context.DisposeAsync().AsTask();

    private static PresenterState State(string photo) => new(photo, null, "mobilenetv2", ["tabby"], ["gradcam"], "layer", "jet", 0.5f, false,
        [new PresentedOverlay("gradcam", 281, "tabby", 0.5f, [0x89, 0x50])]);

    [Fact]
    public async Task TurningItOnWhileAliceIsPresentingChangesNothingAndSaysWhy()
    {
        long version = _session.Publish(State("alice.jpg"), new StudioCaller("s-alice", IsHost: false));
        var cut = _context.Render<PresentToggle>(p => p.Add(t => t.State, State("bob.jpg")));

        cut.Find("input").Change(true);

        Assert.Equal("alice.jpg", _session.Current.PhotoName);
        Assert.Equal(version, _session.Current.Version);
        Assert.Contains("Visitor s-al is presenting", cut.Find("[data-present-other]").TextContent);
        Assert.Equal("other", cut.Find("[data-present-state]").GetAttribute("data-present-state"));
        Assert.DoesNotContain("Presenting", cut.Find("[data-present-state]").TextContent); // the switch says "Present", not "Presenting"
        await _context.DisposeComponentsAsync(); // leaving Bob's explorer does not end Alice's presentation
        Assert.Equal("s-alice", _session.Controller);
    }
}
