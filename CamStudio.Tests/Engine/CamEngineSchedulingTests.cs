using System.Diagnostics;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace CamStudio.Tests.Engine;

/// <summary>Two sessions on one engine: a slow method of one does not hold the other's quick request; progress and cancellation.</summary>
[Collection(TorchCollection.Name)]
public sealed class CamEngineSchedulingTests(EngineFixture fixture, ITestOutputHelper output) : IClassFixture<EngineFixture>
{
    private readonly CamEngine _engine = fixture.Engine;

    private static CamRequest GradCam(string owner) => new() { Methods = ["gradcam"], Owner = owner };

    private static CamRequest ScoreCam(string owner) => new() { Methods = ["scorecam"], Owner = owner };

    [Fact]
    public async Task AnotherSessionsGradCamRunsBetweenTheChunksOfAScoreCam()
    {
        using (Image<Rgb24> warm = EngineFixture.Photo("cat.bmp"))
            await _engine.ExplainAsync(GradCam("B"), [warm]);
        var idle = new List<TimeSpan>();
        for (int variant = 1; variant <= 3; variant++)
        {
            using Image<Rgb24> photo = NewPhoto(variant);
            var clock = Stopwatch.StartNew();
            EngineExplanation e = await _engine.ExplainAsync(GradCam("B"), [photo]);
            idle.Add(clock.Elapsed);
            output.WriteLine($"idle timings {e.Timings}");
        }
        TimeSpan idleTime = idle.Min();

        using var cancel = new CancellationTokenSource();
        var chunking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using Image<Rgb24> slowPhoto = EngineFixture.Photo("pets.jpg");
        Task<EngineExplanation> slow = _engine.ExplainAsync(ScoreCam("A"), [slowPhoto],
            new InlineProgress(p => { if (p.DoneForwards > 0) chunking.TrySetResult(); }), cancel.Token);
        await Task.WhenAny(chunking.Task, slow);
        Assert.False(slow.IsCompleted, $"Score-CAM ended before its first chunk: {slow.Status} {slow.Exception?.InnerException?.Message}");

        // Best of three on each side: other processes on the machine slow single runs, never the best one much.
        var during = new List<TimeSpan>();
        EngineExplanation? quick = null;
        for (int variant = 4; variant <= 6; variant++)
        {
            using Image<Rgb24> photo = NewPhoto(variant);
            var clock = Stopwatch.StartNew();
            quick = await _engine.ExplainAsync(GradCam("B"), [photo]);
            during.Add(clock.Elapsed);
            output.WriteLine($"during timings {quick.Timings}");
        }
        TimeSpan duringTime = during.Min();
        bool slowStillRunning = !slow.IsCompleted;
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);

        output.WriteLine($"Grad-CAM on a new photo, idle engine: {idleTime.TotalMilliseconds:F0} ms (runs: {string.Join(", ", idle.Select(t => t.TotalMilliseconds.ToString("F0")))})");
        output.WriteLine($"Grad-CAM on a new photo while another session runs Score-CAM: {duringTime.TotalMilliseconds:F0} ms ({duringTime / idleTime:F2}× idle; runs: {string.Join(", ", during.Select(t => t.TotalMilliseconds.ToString("F0")))})");
        Assert.True(slowStillRunning, "Score-CAM finished before the other session's Grad-CAM did; the test measured nothing");
        // The first click of a burst may find a long chunk running (ForwardPacing.TargetChunkTime, sized for
        // batching); from then on the Score-CAM runs short chunks, so the next clicks wait at most one of those and then
        // run as they would alone. The best of the three is therefore within two short chunks of idle.
        TimeSpan bound = idleTime + 2 * ForwardPacing.ContendedChunkTime;
        Assert.True(duringTime <= bound,
            $"Grad-CAM took {duringTime.TotalMilliseconds:F0} ms during a Score-CAM, over its {idleTime.TotalMilliseconds:F0} ms alone plus two short chunks ({bound.TotalMilliseconds:F0} ms)");

        // Run between another's chunks, it computes what it computes alone.
        using Image<Rgb24> last = NewPhoto(6);
        EngineExplanation alone = await _engine.ExplainAsync(GradCam("B"), [last]);
        Assert.Equal(alone.Photos[0].Maps[0].Map.Map.Raw, quick!.Photos[0].Maps[0].Map.Map.Raw);
    }

    [Fact]
    public async Task ACancelledScoreCamReportsProgressAndLeavesNoTensorBehind()
    {
        await _engine.PlanAsync(ScoreCam("A"));
        long before = await fixture.Executor.RunAsync(_ => LiveTensors.OnThisThread());
        using var cancel = new CancellationTokenSource();
        var reports = new List<ExplainProgress>();
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");

        Task<EngineExplanation> run = _engine.ExplainAsync(ScoreCam("A"), [photo], new InlineProgress(p =>
        {
            reports.Add(p);
            if (p.DoneForwards >= 8)
                cancel.Cancel();
        }), cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        long after = await fixture.Executor.RunAsync(_ => LiveTensors.OnThisThread());
        Assert.Equal(before, after);
        ExplainProgress last = Assert.IsType<ExplainProgress>(reports[^1]);
        Assert.Equal(1280, last.TotalForwards);   // one pass per channel of MobileNetV2's last feature map
        Assert.InRange(last.DoneForwards, 8, 1279);
        Assert.NotNull(last.Remaining);
    }

    /// <summary>A photo the engine has not seen, of the same size as the others (so resizing costs the same): horses.jpg with one pixel changed.</summary>
    private static Image<Rgb24> NewPhoto(int variant)
    {
        Image<Rgb24> photo = EngineFixture.Photo("horses.jpg");
        photo[variant, variant] = new Rgb24((byte)(40 * variant), 0, 255);
        return photo;
    }

    /// <summary>Progress seen on the reporting thread itself (<see cref="Progress{T}"/> would post it and come late).</summary>
    private sealed class InlineProgress(Action<ExplainProgress> report) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => report(value);
    }
}
