using Bunit;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Studio;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using CamStudio.Engine.Maps;

namespace CamStudio.Tests.Web;

public sealed class HomeTests : StudioTestContext
{
    private static byte[] Png(int width, int height) => FakeStudioEngine.TinyPng(width, height);

    private IRenderedComponent<Home> RenderStudioWithPhoto(string fileName = "both.png")
    {
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(40, 30), fileName, contentType: "image/png"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img")));
        return cut;
    }

    [Fact]
    public void AnEmptyModelsFolderSaysHowToAddAModel()
    {
        Engine.ModelNames.Clear();

        IRenderedComponent<Home> cut = RenderWithProviders<Home>();

        string notice = cut.Find("[data-testid=no-model]").TextContent;
        Assert.Contains("/tmp/fake-models", notice);
        Assert.Contains("camstudio models add", notice);
        Assert.Contains("CAMSTUDIO_MODELS", notice);
        Assert.Empty(cut.FindAll("input[type=file]"));
    }

    [Fact]
    public void ThePageSetsItsInteractivityMarkerAfterTheFirstRender()
    {
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();

        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=studio]").GetAttribute("data-interactive")));
    }

    [Fact]
    public void UploadingAPhotoShowsTheTopPredictionsAndTheOverlayOfTheTopClass()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();

        var predictions = cut.FindAll("[data-testid=prediction]");
        Assert.Equal(5, predictions.Count);
        Assert.Equal("bull mastiff", predictions[0].GetAttribute("data-class"));
        Assert.Contains("61.0", predictions[0].TextContent);
        CamRequest request = Assert.Single(Engine.ExplainRequests);
        Assert.Equal(ClassSelection.Top1, request.ClassSelection);
        Assert.Contains("bull mastiff", cut.Find("[data-testid=overlay] figcaption").TextContent);
        Assert.Single(cut.FindAll("[data-testid=thumbnail]"));
    }

    [Fact]
    public void ABadFileIsReportedByNameAndTheGoodOnesStillLoad()
    {
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();

        cut.FindComponent<InputFile>().UploadFiles(
            InputFileContent.CreateFromBinary(Png(40, 30), "good.png", contentType: "image/png"),
            InputFileContent.CreateFromText("this is not a photo", "broken.png", contentType: "image/png"),
            InputFileContent.CreateFromBinary(Png(20, 20), "other.png", contentType: "image/png"));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=thumbnail]").Count));
        Assert.Equal(["good.png", "other.png"], cut.FindAll("[data-testid=thumbnail]").Select(t => t.GetAttribute("data-file")));
        MudBlazor.Snackbar error = Assert.Single(Snackbar.ShownSnackbars);
        Assert.Equal(Severity.Error, error.Severity);
        Assert.Contains("broken.png", error.Message);
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img")));
    }

    [Fact]
    public void SizesInMessagesAreBinaryUnitsNamedAsSuch()
    {
        Pictures.LimitsOverride = new PhotoLimits(3 << 20, 4_000_000, 4);
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();

        // 3.5 × 2^20 bytes: "3.5 MiB" (it would be 3.7 MB in decimal units).
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(new byte[(3 << 20) + (1 << 19)], "big.png", contentType: "image/png"));

        cut.WaitForAssertion(() => Assert.Single(Snackbar.ShownSnackbars));
        Assert.Contains("big.png is 3.5 MiB; the limit is 3 MiB", Snackbar.ShownSnackbars.Single().Message);
        Assert.Contains("3 MiB", cut.Find("[data-testid=upload]").TextContent);
    }

    [Fact]
    public void AFileOverTheByteLimitIsRejectedWithItsNameAndTheLimit()
    {
        Pictures.LimitsOverride = new PhotoLimits(100, 4_000_000, 4);
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();

        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(40, 30), "big.png", contentType: "image/png"));

        cut.WaitForAssertion(() => Assert.Single(Snackbar.ShownSnackbars));
        string message = Snackbar.ShownSnackbars.Single().Message ?? "";
        Assert.Contains("big.png", message);
        Assert.Contains("100 bytes", message);
        Assert.Empty(cut.FindAll("[data-testid=thumbnail]"));
    }

    [Fact]
    public void PhotosBeyondTheSessionLimitAreRejectedByName()
    {
        Pictures.LimitsOverride = new PhotoLimits(1024 * 1024, 4_000_000, 2);
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();

        cut.FindComponent<InputFile>().UploadFiles(
            InputFileContent.CreateFromBinary(Png(4, 4), "a.png", contentType: "image/png"),
            InputFileContent.CreateFromBinary(Png(4, 4), "b.png", contentType: "image/png"));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=thumbnail]").Count));
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(4, 4), "c.png", contentType: "image/png"));

        cut.WaitForAssertion(() => Assert.Contains(Snackbar.ShownSnackbars, s => s.Message != null && s.Message.Contains("c.png") && s.Message.Contains("at most 2")));
        Assert.Equal(2, cut.FindAll("[data-testid=thumbnail]").Count);
    }

    [Fact]
    public async Task ChangingOpacityOrColormapRecoloursWithoutRecomputingTheMap()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        int rendersBefore = Pictures.OverlayStyles.Count;

        await cut.InvokeAsync(() => cut.FindComponent<MudSlider<double>>().Instance.ValueChanged.InvokeAsync(0.8));
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>()
            .Single(s => s.Instance.Label == "Colormap").Instance.ValueChanged.InvokeAsync("viridis")!);

        Assert.Equal(1, Engine.ExplainCalls);
        OverlayStyle[] styles = Pictures.OverlayStyles.Skip(rendersBefore).ToArray();
        Assert.Equal(2, styles.Length);
        Assert.Equal(new OverlayStyle("jet", 0.8f), styles[0]);
        Assert.Equal(new OverlayStyle("viridis", 0.8f), styles[1]);
    }

    [Fact]
    public async Task ANewMethodCancelsTheStaleComputation()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        Engine.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        MudSelect<string> methodPicker = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Method").Instance;

        Task slow = cut.InvokeAsync(() => methodPicker.ValueChanged.InvokeAsync("scorecam"));
        cut.WaitForAssertion(() => Assert.Equal(2, Engine.ExplainCalls));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=explore-progress]")));
        Task fast = cut.InvokeAsync(() => methodPicker.ValueChanged.InvokeAsync("cam"));

        CancellationToken stale = Engine.ExplainTokens.ElementAt(1);
        Assert.True(stale.IsCancellationRequested);
        Engine.Gate.SetResult();
        await Task.WhenAll(slow, fast).WaitAsync(TimeSpan.FromSeconds(30));
        cut.WaitForAssertion(() => Assert.StartsWith("CAM ·", cut.Find("[data-testid=overlay] figcaption").TextContent.Trim()));
        Assert.Empty(cut.FindAll("[data-testid=engine-error]"));
        Assert.Empty(cut.FindAll("[data-testid=explore-progress]"));
    }

    [Fact]
    public async Task AnEngineFailureShowsInThePageAndTheNextChoiceStillWorks()
    {
        Engine.Failure = new InvalidOperationException("the torch thread fell over");
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(40, 30), "both.png", contentType: "image/png"));

        cut.WaitForAssertion(() => Assert.Contains("the torch thread fell over", cut.Find("[data-testid=engine-error]").TextContent));

        Engine.Failure = null;
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>()
            .Single(s => s.Instance.Label == "Method").Instance.ValueChanged.InvokeAsync("cam"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img")));
        Assert.Empty(cut.FindAll("[data-testid=engine-error]"));
    }

    [Fact]
    public async Task TheClassPickerSearchesAllClassNames()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        var picker = cut.FindComponents<MudAutocomplete<Home.ClassOption>>().Single(a => a.Instance.Label == "Class to explain");

        IEnumerable<Home.ClassOption> found = await cut.InvokeAsync(() => picker.Instance.SearchFunc!("mastiff", CancellationToken.None)!);

        Assert.Equal(["bull mastiff", "Tibetan mastiff"], found.Select(c => c.Name));
    }

    [Fact]
    public async Task TwoClassesAndTwoMethodsMakeATwoByTwoGridFromOneEngineCall()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(1));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=grid-cell]")));

        await cut.InvokeAsync(() => cut.FindComponents<MudAutocomplete<Home.ClassOption>>()
            .Single(a => a.Instance.Label!.StartsWith("Add a class")).Instance.ValueChanged
            .InvokeAsync(new Home.ClassOption(FakeStudioEngine.TigerCat, "tiger cat")));
        int callsBefore = Engine.ExplainCalls;
        await cut.InvokeAsync(() => cut.FindComponent<MudChipSet<string>>().Instance.SelectedValuesChanged
            .InvokeAsync(["gradcam", "scorecam"]));

        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll("[data-testid=grid-cell]").Count));
        Assert.Equal(callsBefore + 1, Engine.ExplainCalls);
        CamRequest last = Engine.ExplainRequests.Last();
        Assert.Equal(["gradcam", "scorecam"], last.Methods);
        Assert.Equal([FakeStudioEngine.BullMastiff, FakeStudioEngine.TigerCat], Assert.IsType<ClassSelection.Indices>(last.ClassSelection).Classes);
        var grid = cut.Find("[data-testid=compare-grid]");
        Assert.Equal("2", grid.GetAttribute("data-rows"));
        Assert.Equal("2", grid.GetAttribute("data-columns"));
        Assert.Equal("own", grid.GetAttribute("data-scale"));
    }

    [Fact]
    public async Task TheSharedScaleColoursEachMethodsCellsOnTheRangeOfThatMethodsMapsWithoutRecomputing()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(1));
        await cut.InvokeAsync(() => cut.FindComponents<MudAutocomplete<Home.ClassOption>>()
            .Single(a => a.Instance.Label!.StartsWith("Add a class")).Instance.ValueChanged
            .InvokeAsync(new Home.ClassOption(FakeStudioEngine.TigerCat, "tiger cat")));
        await cut.InvokeAsync(() => cut.FindComponent<MudChipSet<string>>().Instance.SelectedValuesChanged.InvokeAsync(["gradcam", "cam"]));
        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll("[data-testid=grid-cell]").Count));
        int calls = Engine.ExplainCalls, renders = Pictures.OverlayStyles.Count;

        await cut.InvokeAsync(() => cut.FindComponents<MudSwitch<bool>>().Single(s => s.Instance.Label == "One scale per method").Instance.ValueChanged.InvokeAsync(true));

        Assert.Equal(calls, Engine.ExplainCalls);
        OverlayStyle[] styles = Pictures.OverlayStyles.Skip(renders).ToArray();
        Assert.Equal(4, styles.Length);
        // The fake's maps run from 0 to (1 + class + 10·len(method)); per method the largest is tiger cat's. A range
        // across methods would be gradcam's for all four cells and wash out cam's.
        var gradcam = new ValueRange(0f, 1 + FakeStudioEngine.TigerCat + 10 * "gradcam".Length);
        var cam = new ValueRange(0f, 1 + FakeStudioEngine.TigerCat + 10 * "cam".Length);
        Assert.Equal(2, styles.Count(s => s.Range == gradcam));
        Assert.Equal(2, styles.Count(s => s.Range == cam));
        Assert.Equal("shared", cut.Find("[data-testid=compare-grid]").GetAttribute("data-scale"));
        Assert.Equal(["cam", "gradcam"], cut.FindAll("[data-testid=shared-color-bar]").Select(b => b.GetAttribute("data-method")!).Order());
        Assert.Empty(cut.FindAll("[data-testid=grid-cell] [data-testid=color-bar]"));
    }

    [Fact]
    public async Task DownloadingTheSheetSendsOnePngWithEveryCellToTheBrowser()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(1));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=grid-cell]")));

        cut.Find("[data-testid=download-sheet]").Click();

        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "camStudio.download"));
        var download = JSInterop.Invocations.Single(i => i.Identifier == "camStudio.download");
        Assert.Equal("both-comparison.png", download.Arguments[0]);
        Assert.Equal("image/png", download.Arguments[1]);
    }

    [Fact]
    public async Task PresentingPublishesTheOverlayOnScreen()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        var session = Services.GetRequiredService<CamStudio.Web.Presenter.PresenterSession>();
        var published = new List<CamStudio.Web.Presenter.PresenterUpdate>();
        using IDisposable subscription = session.Subscribe(update => published.Add(update));

        await cut.InvokeAsync(() => cut.FindComponents<MudSwitch<bool>>().Single(s => s.Instance.Label == "Present").Instance.ValueChanged.InvokeAsync(true));

        CamStudio.Web.Presenter.PresenterUpdate update = Assert.Single(published, u => u.Presenting);
        Assert.Equal("both.png", update.PhotoName);
        Assert.Equal("bull mastiff", Assert.Single(update.Overlays).ClassName);
    }

    private IRenderedComponent<MudSelect<string>> MethodSelect(IRenderedComponent<Home> cut) =>
        cut.FindComponents<MudSelect<string>>().First(s => s.Instance.Label == "Method");

    [Fact]
    public async Task CancellingARunningScoreCamStopsTheEngineAndKeepsTheLastOverlayMarkedStale()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        Engine.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Engine.ProgressToReport = new CamStudio.Engine.Cam.ExplainProgress(320, 1280, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12));

        // Not awaited: the choice's work waits for the gated engine until Cancel.
        Task choosing = cut.InvokeAsync(() => MethodSelect(cut).Instance.ValueChanged.InvokeAsync("scorecam"));

        // Before it runs: how long (the last quick forward took 12 ms, Score-CAM at features.18 runs 1280 passes);
        // while it runs: done/total and the time left.
        cut.WaitForAssertion(() => Assert.Contains("1280 forward passes", cut.Find("[data-testid=slow-estimate]").TextContent));
        Assert.Contains("about 15 s", cut.Find("[data-testid=slow-estimate]").TextContent);
        cut.WaitForAssertion(() => Assert.Contains("320 / 1280", cut.Find("[data-testid=explore-progress-text]").TextContent));
        Assert.Equal("true", cut.Find("[data-testid=explore-overlay]").GetAttribute("data-stale"));

        cut.Find("[data-testid=cancel-explain]").Click();

        CancellationToken running = Engine.ExplainTokens.Last();
        Assert.True(running.IsCancellationRequested);
        await choosing.WaitAsync(TimeSpan.FromSeconds(30));
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=explore-progress]")));
        Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img"));
        Assert.Equal("true", cut.Find("[data-testid=explore-overlay]").GetAttribute("data-stale"));
        Assert.DoesNotContain(Snackbar.ShownSnackbars, s => s.Severity == Severity.Error);
        Assert.Empty(cut.FindAll("[data-testid=engine-error]"));
    }

    [Fact]
    public async Task TheMethodPickerDisablesMethodsThatDoNotApplyWithTheEnginesReason()
    {
        const string reason = "Method cam needs global average pooling followed by one linear layer after layer 'features.17'.";
        Engine.Unavailable["cam"] = reason;
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(1));

        // The grid's method chips: CAM disabled with the engine's reason on hover, Score-CAM marked slow.
        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find("[data-testid=grid-method-cam]").GetAttribute("data-available")));
        Assert.True(cut.FindComponents<MudChip<string>>().Single(c => c.Instance.Value == "cam").Instance.Disabled);
        Assert.False(cut.FindComponents<MudChip<string>>().Single(c => c.Instance.Value == "gradcam").Instance.Disabled);
        Assert.Contains(cut.FindComponents<MudTooltip>(), t => t.Instance.Text == reason);
        Assert.Contains("⏳", cut.FindComponents<MudChip<string>>().Single(c => c.Instance.Value == "scorecam").Instance.Text);
    }
}
