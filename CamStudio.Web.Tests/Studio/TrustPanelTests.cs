using Bunit;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Metrics;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Studio;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace CamStudio.Tests.Web;

/// <summary>The studio's Trust tab against the scripted engine: what it asks the engine, and how it shows the answers.</summary>
public sealed class TrustPanelTests : StudioTestContext
{
    /// <summary>The studio with a 40×30 photo, its map drawn, then the Trust tab open and its first evaluation shown.</summary>
    private async Task<IRenderedComponent<Home>> OpenTrustTabAsync(bool waitForNumbers = true)
    {
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(FakeStudioEngine.TinyPng(40, 30), "both.png", contentType: "image/png"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img")));
        int trust = cut.FindComponents<MudTabPanel>().ToList().FindIndex(p => p.Instance.Text == "Trust");
        Assert.True(trust >= 0, "the studio has no Trust tab");
        // Not awaited: the tab's first evaluation may be gated by the test.
        _ = cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(trust));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=trust-panel]")));
        if (waitForNumbers)
            cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=trust-row]")));
        await Task.CompletedTask;
        return cut;
    }

    private static string MethodCell(IRenderedComponent<Home> cut, string metric) =>
        cut.Find($"[data-testid=trust-row][data-metric={metric}] [data-testid=trust-method-value]").TextContent.Trim();

    private static string BaselineCell(IRenderedComponent<Home> cut, string metric, string baseline) =>
        cut.Find($"[data-testid=trust-row][data-metric={metric}] [data-baseline={baseline}]").TextContent.Trim();

    [Fact]
    public async Task TheTabScoresTheExplorersMapWithEveryMetricAndTheThreeBaselines()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();

        EvaluateRequest request = Assert.Single(Engine.EvaluateRequests);
        Assert.Equal(["gradcam"], request.Request.Methods);
        Assert.Equal("mobilenetv2", request.Request.Model);
        Assert.Equal([FakeStudioEngine.BullMastiff], Assert.IsType<ClassSelection.Indices>(request.Request.ClassSelection).Classes);
        Assert.True(request.Baselines);
        Assert.Equal([MetricNames.Deletion, MetricNames.Insertion, MetricNames.Drop, MetricNames.Increase, MetricNames.Road, MetricNames.Sanity], request.Metrics);
        Assert.Null(request.Box);
        Assert.False(string.IsNullOrEmpty(request.Request.Owner));

        // The engine's numbers, as it gave them, beside each baseline's.
        Assert.StartsWith("0.069", MethodCell(cut, "deletion"));
        Assert.Equal("0.366", BaselineCell(cut, "deletion", MetricNames.BaselineRandom));
        Assert.Equal("0.079", BaselineCell(cut, "deletion", MetricNames.BaselineCentre));
        Assert.Equal("0.103", BaselineCell(cut, "deletion", MetricNames.BaselineSobel));
        Assert.StartsWith("0.542", MethodCell(cut, "insertion"));
        Assert.StartsWith("10.2%", MethodCell(cut, "drop"));
        Assert.Equal("94.7%", BaselineCell(cut, "drop", MetricNames.BaselineSobel));
        Assert.StartsWith("0.135", MethodCell(cut, "road_combined"));
        // Better than every baseline: deletion 0.069 < 0.079 (the closest); ROAD MoRF 0.21 < 0.25, 0.33, 0.40.
        Assert.Equal("true", cut.Find("[data-testid=trust-row][data-metric=deletion]").GetAttribute("data-beats"));
        Assert.Equal("true", cut.Find("[data-testid=trust-row][data-metric=road_morf]").GetAttribute("data-beats"));
        Assert.Contains("Grad-CAM", cut.Find("[data-testid=trust-subject]").TextContent);
        // No box yet: no pointing rows.
        Assert.Empty(cut.FindAll("[data-testid=trust-row][data-metric=pointing_hit]"));
    }

    [Fact]
    public async Task AMethodThatLosesToABaselineIsNotMarked()
    {
        Engine.MethodScores = FakeStudioEngine.Scores(deletion: 0.09, insertion: 0.30, drop: 0.6, morf: 0.3, lerf: 0.4, FakeStudioEngine.Sanity(true));

        IRenderedComponent<Home> cut = await OpenTrustTabAsync();

        // 0.09 is worse than the centre's 0.079; 0.30 worse than the centre's 0.434.
        Assert.Equal("false", cut.Find("[data-testid=trust-row][data-metric=deletion]").GetAttribute("data-beats"));
        Assert.Equal("false", cut.Find("[data-testid=trust-row][data-metric=insertion]").GetAttribute("data-beats"));
        Assert.DoesNotContain("✓", MethodCell(cut, "deletion"));
    }

    [Fact]
    public async Task DeletionAndInsertionAreOneChartEachWithTheMethodAndTheBaselines()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();

        var charts = cut.FindAll("[data-testid=curve-chart]");
        Assert.Equal(["deletion", "insertion"], charts.Select(c => c.GetAttribute("data-kind")));
        foreach (var chart in charts)
        {
            var curves = chart.QuerySelectorAll("[data-testid=curve]");
            Assert.Equal(["gradcam", MetricNames.BaselineRandom, MetricNames.BaselineCentre, MetricNames.BaselineSobel], curves.Select(c => c.GetAttribute("data-series")));
            Assert.All(curves, c => Assert.Equal("3", c.GetAttribute("data-points")));
        }
        // Deletion of the method: (0, 0.61), (0.5, 0.069), (1, 0.01) on a 0…1 axis (the highest point 0.61 rounds up to 0.7).
        // x = 34 + f·278, y = 160 − p / 0.7 · 152.
        string points = charts[0].QuerySelector("[data-series=gradcam]")!.GetAttribute("points")!;
        Assert.Equal("34,27.5 173,145 312,157.8", points);
    }

    [Fact]
    public async Task APassingSanityCheckSaysSoWithTheSpearmanOfEveryStage()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();

        var verdict = cut.Find("[data-testid=sanity-verdict]");
        Assert.Equal("true", verdict.GetAttribute("data-passes"));
        Assert.Contains("Passes", verdict.TextContent);
        Assert.Contains("0.120", verdict.TextContent);
        Assert.Contains("0.500", verdict.TextContent);
        var stages = cut.FindAll("[data-testid=sanity-stage]");
        Assert.Equal(5, stages.Count);
        Assert.Contains("2 of 10", stages[0].TextContent);
        Assert.Contains("0.910", stages[0].TextContent);
        Assert.Contains("10 of 10", stages[4].TextContent);
        Assert.Contains("tiger cat", cut.Find("[data-testid=sanity-random-class]").TextContent);
    }

    [Fact]
    public async Task AFailingSanityCheckSaysTheMapIgnoresTheWeights()
    {
        Engine.MethodScores = Engine.MethodScores with { Sanity = FakeStudioEngine.Sanity(passes: false) };

        IRenderedComponent<Home> cut = await OpenTrustTabAsync();

        var verdict = cut.Find("[data-testid=sanity-verdict]");
        Assert.Equal("false", verdict.GetAttribute("data-passes"));
        Assert.Contains("Fails", verdict.TextContent);
        Assert.Contains("0.930", verdict.TextContent);
    }

    [Fact]
    public async Task AModelWithoutWeightRandomisationStillGetsItsMetricsAndSaysWhyThereIsNoSanityCheck()
    {
        Engine.SanityRefusal = "Model 'mobilenetv2' cannot re-initialise its weights, which the sanity checks need; leave 'sanity' out.";

        IRenderedComponent<Home> cut = await OpenTrustTabAsync();

        Assert.Contains("cannot re-initialise", cut.Find("[data-testid=sanity-unavailable]").TextContent);
        Assert.StartsWith("0.069", MethodCell(cut, "deletion"));
        Assert.DoesNotContain(MetricNames.Sanity, Engine.EvaluateRequests.Last().Metrics!);
        Assert.Empty(cut.FindAll("[data-testid=engine-error]"));
    }

    [Fact]
    public async Task RecommendShowsItsProgressAndCancelStopsTheSweepKeepingTheNumbersOnScreen()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();
        Engine.RecommendGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Engine.RecommendProgressToReport = new ExplainProgress(120, 1200, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(27));

        cut.Find("[data-testid=recommend]").Click();

        cut.WaitForAssertion(() => Assert.Contains("120 / 1200", cut.Find("[data-testid=recommend-progress-text]").TextContent));
        Assert.NotEmpty(cut.FindAll("[data-testid=recommend-progress-bar]"));
        RecommendRequest request = Assert.Single(Engine.RecommendRequests);
        Assert.Equal([FakeStudioEngine.BullMastiff], Assert.IsType<ClassSelection.Indices>(request.Request.ClassSelection).Classes);
        Assert.Equal(4, request.LastLayers);

        cut.Find("[data-testid=recommend-cancel]").Click();

        Assert.True(Engine.RecommendTokens.Single().IsCancellationRequested);
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=recommend-progress]")));
        Assert.Contains("stopped", cut.Find("[data-testid=recommend-error]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=recommend-table]"));
        Assert.StartsWith("0.069", MethodCell(cut, "deletion")); // the metrics stay
        Assert.False(cut.Find("[data-testid=recommend]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task TheRankedTableHoldsMethodsAndBaselinesAndOneClickAppliesTheWinnerToTheExplorer()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();

        cut.Find("[data-testid=recommend]").Click();

        cut.WaitForAssertion(() => Assert.Equal(6, cut.FindAll("[data-testid=recommend-row]").Count));
        var rows = cut.FindAll("[data-testid=recommend-row]");
        Assert.Equal(["gradcampp", "gradcam", MetricNames.BaselineCentre, "cam", MetricNames.BaselineSobel, MetricNames.BaselineRandom],
            rows.Select(r => r.GetAttribute("data-method")));
        Assert.Equal("true", rows[2].GetAttribute("data-baseline"));
        Assert.Contains("0.512", rows[0].TextContent);
        Assert.Contains("0.583", rows[0].TextContent);
        Assert.Contains("Grad-CAM++", cut.Find("[data-testid=recommend-best]").TextContent);
        Assert.Contains("features.17", cut.Find("[data-testid=recommend-best]").TextContent);
        int explained = Engine.ExplainCalls;

        cut.Find("[data-testid=apply-best]").Click();
        // The explorer asks for the winner at its layer, and the Trust tab measures that map next.
        // A page that re-renders often on a loaded machine: longer waits than bUnit's default.
        TimeSpan wait = TimeSpan.FromSeconds(60);
        cut.WaitForAssertion(() => Assert.True(Engine.ExplainCalls > explained), wait);
        CamRequest applied = Engine.ExplainRequests.Last();
        Assert.Equal(["gradcampp"], applied.Methods);
        Assert.Equal("features.17", applied.Layer);
        cut.WaitForAssertion(() => Assert.Equal("gradcampp", Engine.EvaluateRequests.Last().Request.Methods[0]), wait);
        Assert.Equal("features.17", Engine.EvaluateRequests.Last().Request.Layer);
        cut.WaitForAssertion(() => Assert.Contains("In use", cut.Find("[data-testid=apply-best]").TextContent), wait);
        Assert.Contains("Grad-CAM++", cut.Find("[data-testid=trust-subject]").TextContent);
    }

    [Fact]
    public async Task ABoxDraggedOnThePhotoRunsThePointingGameInPhotoPixels()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();
        TrustPanel panel = cut.FindComponent<TrustPanel>().Instance;

        // The browser reports the drag as fractions of the shown image: a quarter in from the left, a fifth from the top, …
        await cut.InvokeAsync(() => panel.OnBoxDrawnAsync(0.75, 0.8, 0.25, 0.2));

        cut.WaitForAssertion(() => Assert.NotNull(Engine.EvaluateRequests.Last().Box));
        EvaluateRequest request = Engine.EvaluateRequests.Last();
        Assert.Equal(new PhotoBox(10, 6, 30, 24), request.Box); // of the 40×30 photo
        Assert.Contains(MetricNames.Pointing, request.Metrics!);
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=pointing-result]").GetAttribute("data-hit")));
        Assert.Contains("42.0%", cut.Find("[data-testid=pointing-result]").TextContent);
        Assert.Equal("hit", MethodCell(cut, "pointing_hit"));
        Assert.Equal("miss", BaselineCell(cut, "pointing_hit", MetricNames.BaselineCentre));
        Assert.Contains("left: 25%", cut.Find("[data-testid=box]").GetAttribute("style"));
        Assert.Contains(JSInterop.Invocations, i => i.Identifier == "camStudio.attachBoxDrawing");
    }

    [Fact]
    public async Task ABoxOutsideThePhotoIsRefusedWithTheEnginesMessageAndTheNumbersStay()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();
        MudTextField<string> field = cut.FindComponents<MudTextField<string>>().Single(f => f.Instance.Label == "Box x0,y0,x1,y1").Instance;

        await cut.InvokeAsync(() => field.ValueChanged.InvokeAsync("0,0,500,20"));

        cut.WaitForAssertion(() => Assert.Contains("not inside the 40×30 photo", cut.Find("[data-testid=box-error]").TextContent));
        Assert.StartsWith("0.069", MethodCell(cut, "deletion"));
        Assert.Empty(cut.FindAll("[data-testid=engine-error]"));

        // Not four numbers: the engine's parser says what a box is, and nothing is sent.
        int sent = Engine.EvaluateRequests.Count;
        await cut.InvokeAsync(() => field.ValueChanged.InvokeAsync("1,2"));
        cut.WaitForAssertion(() => Assert.Contains("four whole numbers", cut.Find("[data-testid=box-error]").TextContent));
        Assert.Equal(sent, Engine.EvaluateRequests.Count);
    }

    [Fact]
    public async Task AFailedMeasurementIsShownAndTheEarlierNumbersStayMarkedStale()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();
        Engine.EvaluateFailure = new InvalidOperationException("the torch thread fell over");

        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>().First(s => s.Instance.Label == "Method").Instance.ValueChanged.InvokeAsync("cam"));

        cut.WaitForAssertion(() => Assert.Contains("the torch thread fell over", cut.Find("[data-testid=trust-error]").TextContent));
        Assert.Equal("true", cut.Find("[data-testid=trust-results]").GetAttribute("data-stale"));
        Assert.StartsWith("0.069", MethodCell(cut, "deletion"));
    }

    [Fact]
    public async Task CancellingAMeasurementStopsTheEngineAndKeepsWhatWasShown()
    {
        IRenderedComponent<Home> cut = await OpenTrustTabAsync();
        Engine.EvaluateGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Engine.EvaluateProgressToReport = new ExplainProgress(40, 260, TimeSpan.FromSeconds(1), null);

        cut.Find("[data-testid=trust-evaluate]").Click();
        cut.WaitForAssertion(() => Assert.Contains("40 / 260", cut.Find("[data-testid=trust-progress-text]").TextContent));
        cut.Find("[data-testid=trust-cancel]").Click();

        Assert.True(Engine.EvaluateTokens.Last().IsCancellationRequested);
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=trust-progress]")));
        Assert.StartsWith("0.069", MethodCell(cut, "deletion"));
        Assert.DoesNotContain(Snackbar.ShownSnackbars, s => s.Severity == Severity.Error);
    }

    [Fact]
    public async Task TheGridShowsTheChosenMetricUnderEachMapAndSortsTheMethodsByIt()
    {
        Engine.OtherMethodScores["cam"] = FakeStudioEngine.Scores(deletion: 0.031, insertion: 0.2, drop: 0.5, morf: 0.3, lerf: 0.3, null);
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(FakeStudioEngine.TinyPng(40, 30), "both.png", contentType: "image/png"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img")));
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(1));
        await cut.InvokeAsync(() => cut.FindComponent<GridPanel>().FindComponent<MudChipSet<string>>().Instance.SelectedValuesChanged.InvokeAsync(new List<string> { "gradcam", "cam" }));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=grid-header]").Count), TimeSpan.FromSeconds(30));
        MudSelect<string> picker = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Metric under each map").Instance;

        await cut.InvokeAsync(() => picker.ValueChanged.InvokeAsync("deletion"));

        // One engine call for every cell: both methods, the grid's class, deletion only, no baselines.
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=grid-metric-value]").Count), TimeSpan.FromSeconds(30));
        EvaluateRequest request = Engine.EvaluateRequests.Last();
        Assert.Equal(["gradcam", "cam"], request.Request.Methods);
        Assert.Equal([MetricNames.Deletion], request.Metrics);
        Assert.False(request.Baselines);
        Assert.Equal(["Deletion AUC: 0.069", "Deletion AUC: 0.031"], cut.FindAll("[data-testid=grid-metric-value]").Select(v => v.TextContent.Trim()));
        Assert.Equal(["gradcam", "cam"], cut.FindAll("[data-testid=grid-header]").Select(h => h.GetAttribute("data-method")));

        // Sorted, best first: CAM deletes the class faster (0.031 < 0.069), so it moves to the front with its values.
        await cut.InvokeAsync(() => cut.FindComponents<MudSwitch<bool>>().Single(s => s.Instance.Label == "Sort methods by it (best first)").Instance.ValueChanged.InvokeAsync(true));
        cut.WaitForAssertion(() => Assert.Equal(["cam", "gradcam"], cut.FindAll("[data-testid=grid-header]").Select(h => h.GetAttribute("data-method"))));
        Assert.Equal(["Deletion AUC: 0.031", "Deletion AUC: 0.069"], cut.FindAll("[data-testid=grid-metric-value]").Select(v => v.TextContent.Trim()));
    }
}
