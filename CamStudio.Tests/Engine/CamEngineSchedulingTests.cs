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

        // Counted, not timed (a time bound failed CI once on a busy runner): the Score-CAM's progress is reported on
        // the torch thread after a chunk, just before it lets others' quick work run. A report that finds the other
        // session's Grad-CAM queued is a chunk that Grad-CAM waited for. A fair engine lets at most the chunk that was
        // running when the click came finish first; one that ran the Score-CAM to its end first would be seen waiting
        // at report after report. Reports are throttled (ForwardPacing.ReportInterval), which can only hide waits
        // shorter than an interval, never a long one.
        int chunksDone = 0, waitsSeen = 0;
        using var cancel = new CancellationTokenSource();
        var chunking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using Image<Rgb24> slowPhoto = EngineFixture.Photo("pets.jpg");
        Task<EngineExplanation> slow = _engine.ExplainAsync(ScoreCam("A"), [slowPhoto],
            new InlineProgress(p =>
            {
                if (p.DoneForwards > 0)
                {
                    Interlocked.Increment(ref chunksDone);
                    if (fixture.Executor.QueuedCount > 0)
                        Interlocked.Increment(ref waitsSeen);
                    chunking.TrySetResult();
                }
            }), cancel.Token);
        await Task.WhenAny(chunking.Task, slow);
        Assert.False(slow.IsCompleted, $"Score-CAM ended before its first chunk: {slow.Status} {slow.Exception?.InnerException?.Message}");

        var waited = new List<int>();
        EngineExplanation? quick = null;
        for (int variant = 4; variant <= 6; variant++)
        {
            using Image<Rgb24> photo = NewPhoto(variant);
            int before = Volatile.Read(ref waitsSeen);
            quick = await _engine.ExplainAsync(GradCam("B"), [photo]);
            waited.Add(Volatile.Read(ref waitsSeen) - before);
            output.WriteLine($"during timings {quick.Timings}");
        }
        bool slowStillRunning = !slow.IsCompleted;
        int chunksInAll = Volatile.Read(ref chunksDone);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);

        output.WriteLine($"Score-CAM progress reports that found the Grad-CAM waiting, per Grad-CAM: {string.Join(", ", waited)} ({chunksInAll} reports in all)");
        Assert.True(slowStillRunning, "Score-CAM finished before the other session's Grad-CAM did; the test measured nothing");
        Assert.All(waited, count => Assert.InRange(count, 0, 1));

        // Run between another's chunks, it computes what it computes alone.
        using Image<Rgb24> last = NewPhoto(6);
        EngineExplanation alone = await _engine.ExplainAsync(GradCam("B"), [last]);
        Assert.Equal(alone.Photos[0].Maps[0].Map.Map.Raw, quick!.Photos[0].Maps[0].Map.Map.Raw);
    }

    [Fact]
    public async Task ACancelledScoreCamReportsProgressAndLeavesNoTensorBehind()
    {
        await _engine.PlanAsync(ScoreCam("A"));
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        async Task<List<ExplainProgress>> RunCancelled()
        {
            using var cancel = new CancellationTokenSource();
            var reports = new List<ExplainProgress>();
            Task<EngineExplanation> run = _engine.ExplainAsync(ScoreCam("A"), [photo], new InlineProgress(p =>
            {
                reports.Add(p);
                if (p.DoneForwards >= 8)
                    cancel.Cancel();
            }), cancel.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
            return reports;
        }

        // The first run also fills what the model keeps per input shape (the ONNX import's shape memo for the chunk's
        // batch size); a run that leaked would leave tensors behind the second time too.
        await RunCancelled();
        long before = await fixture.Executor.RunAsync(_ => LiveTensors.OnThisThread());
        List<ExplainProgress> reports = await RunCancelled();
        long after = await fixture.Executor.RunAsync(_ => LiveTensors.OnThisThread());
        // The model may still add a shape-memo entry for a chunk size it had not seen (four values for MobileNetV2's
        // flatten, eight entries at most); a leak per chunk left hundreds (213 over 23 chunks before the per-chunk scopes).
        Assert.InRange(after - before, 0, 8);
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
