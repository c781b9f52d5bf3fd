using Bunit;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Components.Pages;
using CamStudio.Web.Components.Studio;
using CamStudio.Web.Services;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

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
        ExplainRequest request = Assert.Single(Engine.ExplainRequests);
        Assert.Equal(ClassSelection.Top1, request.Classes);
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
    public void AFileOverTheByteLimitIsRejectedWithItsNameAndTheLimit()
    {
        Engine.Limits = new PhotoLimits(100, 4_000_000, 4);
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
        Engine.Limits = new PhotoLimits(1024 * 1024, 4_000_000, 2);
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
        int rendersBefore = Engine.OverlayStyles.Count;

        await cut.InvokeAsync(() => cut.FindComponent<MudSlider<double>>().Instance.ValueChanged.InvokeAsync(0.8));
        await cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>()
            .Single(s => s.Instance.Label == "Colormap").Instance.ValueChanged.InvokeAsync("viridis")!);

        Assert.Equal(1, Engine.ExplainCalls);
        OverlayStyle[] styles = Engine.OverlayStyles.Skip(rendersBefore).ToArray();
        Assert.Equal(2, styles.Length);
        Assert.Equal(new OverlayStyle("jet", 0.8f), styles[0]);
        Assert.Equal(new OverlayStyle("viridis", 0.8f), styles[1]);
    }

    [Fact]
    public async Task ANewMethodCancelsTheStaleComputation()
    {
        Engine.Gate = new TaskCompletionSource();
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(Png(40, 30), "both.png", contentType: "image/png"));
        cut.WaitForAssertion(() => Assert.Equal(1, Engine.ExplainCalls));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=explore-progress]")));

        Task change = cut.InvokeAsync(() => cut.FindComponents<MudSelect<string>>()
            .Single(s => s.Instance.Label == "Method").Instance.ValueChanged.InvokeAsync("scorecam")!);
        CancellationToken stale = Engine.ExplainTokens.First();
        Assert.True(stale.IsCancellationRequested);
        Engine.Gate.SetResult();
        await change;

        cut.WaitForAssertion(() => Assert.Contains("Score-CAM", cut.Find("[data-testid=overlay] figcaption").TextContent));
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
        ExplainRequest last = Engine.ExplainRequests.Last();
        Assert.Equal(["gradcam", "scorecam"], last.Methods);
        Assert.Equal([FakeStudioEngine.BullMastiff, FakeStudioEngine.TigerCat], Assert.IsType<ClassSelection.Indices>(last.Classes).Classes);
        var grid = cut.Find("[data-testid=compare-grid]");
        Assert.Equal("2", grid.GetAttribute("data-rows"));
        Assert.Equal("2", grid.GetAttribute("data-columns"));
        Assert.Equal("own", grid.GetAttribute("data-scale"));
    }

    [Fact]
    public async Task TheSharedScaleColoursEveryCellOnTheRangeOfAllFourMapsWithoutRecomputing()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(1));
        await cut.InvokeAsync(() => cut.FindComponents<MudAutocomplete<Home.ClassOption>>()
            .Single(a => a.Instance.Label!.StartsWith("Add a class")).Instance.ValueChanged
            .InvokeAsync(new Home.ClassOption(FakeStudioEngine.TigerCat, "tiger cat")));
        await cut.InvokeAsync(() => cut.FindComponent<MudChipSet<string>>().Instance.SelectedValuesChanged.InvokeAsync(["gradcam", "cam"]));
        cut.WaitForAssertion(() => Assert.Equal(4, cut.FindAll("[data-testid=grid-cell]").Count));
        int calls = Engine.ExplainCalls, renders = Engine.OverlayStyles.Count;

        await cut.InvokeAsync(() => cut.FindComponent<MudSwitch<bool>>().Instance.ValueChanged.InvokeAsync(true));

        Assert.Equal(calls, Engine.ExplainCalls);
        OverlayStyle[] styles = Engine.OverlayStyles.Skip(renders).ToArray();
        Assert.Equal(4, styles.Length);
        // The fake's maps run from 0 to (1 + class + 10·len(method)): the largest is tiger cat with gradcam.
        var expected = new ValueRange(0f, 1 + FakeStudioEngine.TigerCat + 10 * "gradcam".Length);
        Assert.All(styles, s => Assert.Equal(expected, s.Range));
        Assert.Equal("shared", cut.Find("[data-testid=compare-grid]").GetAttribute("data-scale"));
        Assert.Single(cut.FindAll("[data-testid=shared-color-bar]"));
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
}
