using CamStudio.Engine;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Studio;
using Microsoft.Extensions.Logging.Abstractions;

namespace CamStudio.Tests.Web;

public sealed class StudioSessionTests
{
    private readonly FakeStudioEngine _engine = new();

    private StudioSession NewSession() => new(_engine, new RecordingStudioPictures(), () => "session-a", NullLogger<StudioSession>.Instance);

    private async Task<StudioPhoto> AddPhotoAsync(StudioSession session, string name = "both.png")
    {
        using var stream = new MemoryStream(FakeStudioEngine.TinyPng(8, 6));
        return await session.AddPhotoAsync(name, stream, CancellationToken.None);
    }

    [Fact]
    public async Task MapsAlreadyComputedAreServedFromTheCacheWithoutTheEngine()
    {
        using StudioSession session = NewSession();
        StudioPhoto photo = await AddPhotoAsync(session);
        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["gradcam", "cam"], [3, 6], CancellationToken.None);

        SessionExplanation again = await session.ExplainAsync(photo, "mobilenetv2", "auto", ["cam"], [6], CancellationToken.None);

        Assert.Equal(1, _engine.ExplainCalls);
        PlacedClassMap map = Assert.Single(again.Maps);
        Assert.Equal(("cam", 6), (map.Method, map.ClassIndex));
        Assert.Equal(FakeStudioEngine.MapFor("cam", 6).Raw, map.Map.Map.Raw);
    }

    [Fact]
    public async Task AnotherLayerIsNotServedFromTheCache()
    {
        using StudioSession session = NewSession();
        StudioPhoto photo = await AddPhotoAsync(session);
        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["gradcam"], [3], CancellationToken.None);

        await session.ExplainAsync(photo, "mobilenetv2", "features.17", ["gradcam"], [3], CancellationToken.None);

        Assert.Equal(2, _engine.ExplainCalls);
        Assert.Equal("features.17", _engine.ExplainRequests.Last().Layer);
        // The studio's clicks are interactive work owned by the circuit's session (fair against other sessions).
        Assert.All(_engine.ExplainRequests, r => Assert.Equal(("session-a", CamStudio.Engine.Runtime.WorkPriority.Interactive), (r.Owner, r.Priority)));
    }

    [Fact]
    public async Task OnlyTheRequestedMethodsOptionsGoToTheEngineAndOtherOptionsAreOtherMaps()
    {
        using StudioSession session = NewSession();
        StudioPhoto photo = await AddPhotoAsync(session);
        var options = new Dictionary<string, string> { ["scorecam.k"] = "32", ["sscam.samples"] = "10" };

        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["scorecam"], [3], CancellationToken.None, options: options);
        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["scorecam"], [3], CancellationToken.None, options: options);
        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["scorecam"], [3], CancellationToken.None,
            options: new Dictionary<string, string> { ["scorecam.k"] = "64" });
        // Options of another method do not make Grad-CAM's map another map.
        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["gradcam"], [3], CancellationToken.None);
        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["gradcam"], [3], CancellationToken.None, options: options);

        CamRequest[] requests = [.. _engine.ExplainRequests];
        Assert.Equal(3, requests.Length);
        Assert.Equal(new Dictionary<string, string> { ["scorecam.k"] = "32" }, requests[0].Options);
        Assert.Equal(new Dictionary<string, string> { ["scorecam.k"] = "64" }, requests[1].Options);
        Assert.Empty(requests[2].Options);
    }

    [Fact]
    public async Task ASessionQueuesAtMostOneEngineJobSoSessionsTakeTurns()
    {
        using StudioSession session = NewSession();
        StudioPhoto photo = await AddPhotoAsync(session);
        _engine.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task first = session.ExplainAsync(photo, "mobilenetv2", "auto", ["gradcam"], [3], CancellationToken.None);
        Task second = session.ExplainAsync(photo, "mobilenetv2", "auto", ["cam"], [3], CancellationToken.None);
        await Task.Delay(100);
        int whileBusy = _engine.ExplainCalls;
        _engine.Gate.SetResult();
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, whileBusy);
        Assert.Equal(2, _engine.ExplainCalls);
    }

    [Fact]
    public async Task ACancelledWaiterLeavesTheQueueWithoutReachingTheEngine()
    {
        using StudioSession session = NewSession();
        StudioPhoto photo = await AddPhotoAsync(session);
        _engine.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task first = session.ExplainAsync(photo, "mobilenetv2", "auto", ["gradcam"], [3], CancellationToken.None);
        using var stale = new CancellationTokenSource();
        Task second = session.ExplainAsync(photo, "mobilenetv2", "auto", ["cam"], [3], stale.Token);

        stale.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        _engine.Gate.SetResult();
        await first;
        Assert.Equal(1, _engine.ExplainCalls);
    }

    [Fact]
    public async Task RemovingAPhotoForgetsItsMaps()
    {
        using StudioSession session = NewSession();
        StudioPhoto photo = await AddPhotoAsync(session);
        await session.ExplainAsync(photo, "mobilenetv2", "auto", ["gradcam"], [3], CancellationToken.None);

        session.RemovePhoto(photo);

        Assert.Empty(session.Photos);
        Assert.Null(session.CachedMap(photo, "mobilenetv2", "auto", "gradcam", 3));
    }
}
