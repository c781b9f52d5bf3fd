using Bunit;
using CamStudio.Engine;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Studio;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CamStudio.Tests.Web;

/// <summary>The model panel's request features: what each control puts in the engine's request, what it offers where, and the cache.</summary>
public sealed class RequestFeaturesEditorTests : StudioTestContext
{
    private IRenderedComponent<Home> RenderStudioWithPhoto()
    {
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(FakeStudioEngine.TinyPng(40, 30), "both.png", contentType: "image/png"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img")));
        return cut;
    }

    private static MudSwitch<bool> Switch(IRenderedComponent<Home> cut, string label) =>
        cut.FindComponents<MudSwitch<bool>>().Single(s => s.Instance.Label == label).Instance;

    private static MudSelect<string> Select(IRenderedComponent<Home> cut, string label) =>
        cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == label).Instance;

    [Fact]
    public async Task AugSmoothAndGuidedGoToTheEngineAndTheGuidedImagesShowBesideTheOverlay()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();

        await cut.InvokeAsync(() => Switch(cut, "aug_smooth").ValueChanged.InvokeAsync(true));
        await cut.InvokeAsync(() => Switch(cut, "Guided backpropagation").ValueChanged.InvokeAsync(true));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=guided-view]")));
        CamRequest last = Engine.ExplainRequests.Last();
        Assert.True(last.AugSmooth);
        Assert.True(last.Guided);
        Assert.False(last.EigenSmooth);
        Assert.Empty(last.Layers);
        Assert.StartsWith("data:image/png;base64,", cut.Find("[data-testid=guided-image]").GetAttribute("src"));
        Assert.Contains("Guided Grad-CAM", cut.Find("[data-testid=guided-view]").TextContent);
        Assert.Contains("aug=1", cut.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);
    }

    [Fact]
    public async Task TogglingAFeatureBackIsAnsweredFromTheSessionWithoutTheEngine()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();
        await cut.InvokeAsync(() => Switch(cut, "aug_smooth").ValueChanged.InvokeAsync(true));
        cut.WaitForAssertion(() => Assert.Equal(2, Engine.ExplainCalls));

        await cut.InvokeAsync(() => Switch(cut, "aug_smooth").ValueChanged.InvokeAsync(false));
        await cut.InvokeAsync(() => Switch(cut, "aug_smooth").ValueChanged.InvokeAsync(true));

        Assert.Equal(2, Engine.ExplainCalls);
        Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img"));
    }

    [Fact]
    public async Task EigenSmoothIsOfferedOnlyForMethodsTheEngineSaysTakeIt()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();   // Grad-CAM: takes it
        Assert.False(Switch(cut, "eigen_smooth").Disabled);
        await cut.InvokeAsync(() => Switch(cut, "eigen_smooth").ValueChanged.InvokeAsync(true));
        cut.WaitForAssertion(() => Assert.True(Engine.ExplainRequests.Last().EigenSmooth));

        await cut.InvokeAsync(() => Select(cut, "Method").ValueChanged.InvokeAsync("scorecam"));

        cut.WaitForAssertion(() => Assert.Equal(["scorecam"], Engine.ExplainRequests.Last().Methods));
        Assert.False(Engine.ExplainRequests.Last().EigenSmooth);
        Assert.True(Switch(cut, "eigen_smooth").Disabled);
        Assert.Contains("eigen_smooth applies to Grad-CAM, CAM", cut.Find("[data-testid=eigen-help]").TextContent);
    }

    [Fact]
    public async Task AnotherLayerIsFusedWithThePickedOneByTheChosenFusion()
    {
        IRenderedComponent<Home> cut = RenderStudioWithPhoto();

        await cut.InvokeAsync(() => Select(cut, "Fuse with layers").SelectedValuesChanged.InvokeAsync(["features.17"]));
        cut.WaitForAssertion(() => Assert.Equal(["features.18", "features.17"], Engine.ExplainRequests.Last().Layers));
        Assert.Equal("mean", Engine.ExplainRequests.Last().Fuse);

        await cut.InvokeAsync(() => Select(cut, "Fusion").ValueChanged.InvokeAsync("layercam"));

        cut.WaitForAssertion(() => Assert.Equal("layercam", Engine.ExplainRequests.Last().Fuse));
        Assert.Contains("fl=features.17", cut.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);
        Assert.Contains("fuse=layercam", cut.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);
    }

    [Fact]
    public void GuidedIsDisabledWithTheEnginesReasonOnAModelWithoutRectifiers()
    {
        Engine.WhyNoGuided = "Guided backpropagation needs gradients to the input through ReLU layers; model 'mobilenetv2' has no rectifier.";

        IRenderedComponent<Home> cut = RenderStudioWithPhoto();

        Assert.True(Switch(cut, "Guided backpropagation").Disabled);
        Assert.Contains("has no rectifier", cut.Find("[data-testid=guided-help]").TextContent);
    }

    [Fact]
    public void ALinkBringsTheFeaturesBack()
    {
        var link = new StudioLink(FusedLayers: ["features.17"], Fuse: "max", AugSmooth: true, EigenSmooth: true, Guided: true, Concepts: 3, Tab: 2);

        StudioLink parsed = StudioLink.Parse(link.ToQuery());

        Assert.Equal("?tab=concepts&fl=features.17&fuse=max&aug=1&eigen=1&guided=1&k=3", link.ToQuery());
        Assert.Equal(["features.17"], parsed.FusedLayers);
        Assert.Equal(new StudioFeatures { FusedLayers = parsed.FusedLayers!, Fuse = "max", AugSmooth = true, EigenSmooth = true, Guided = true }, parsed.Features());
        Assert.Equal(3, parsed.Concepts);
        Assert.Equal(2, parsed.Tab);
        Assert.Null(StudioLink.Parse("?fuse=median&k=99").Fuse);
        Assert.Null(StudioLink.Parse("?k=99").Concepts);
    }
}

/// <summary>The Concepts tab: the engine's picture and a legend per concept, and a K choice.</summary>
public sealed class ConceptsPanelTests : StudioTestContext
{
    private async Task<IRenderedComponent<Home>> OpenConceptsAsync()
    {
        IRenderedComponent<Home> cut = RenderWithProviders<Home>();
        cut.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary(FakeStudioEngine.TinyPng(40, 30), "both.png", contentType: "image/png"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=overlay] img")));
        await cut.InvokeAsync(() => cut.FindComponent<MudTabs>().Instance.ActivePanelIndexChanged.InvokeAsync(2));
        return cut;
    }

    [Fact]
    public async Task TheTabShowsThePictureAndOneLegendLinePerConceptNamingItsClasses()
    {
        IRenderedComponent<Home> cut = await OpenConceptsAsync();

        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=concept-row]").Count));
        ConceptRequest request = Assert.Single(Engine.ConceptRequests);
        Assert.Equal(5, request.Concepts);
        Assert.Equal("features.18", request.Layer);
        string src = cut.Find("[data-testid=concepts-picture]").GetAttribute("src")!;
        Assert.StartsWith("data:image/png;base64,", src);
        // On the page the picture is the regions alone, at the photo's 40×30 (the legend is the list, in the theme's
        // colours: the picture's own legend strip is white and glared in the dark theme).
        using (var shown = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(Convert.FromBase64String(src["data:image/png;base64,".Length..])))
            Assert.Equal((40, 30), (shown.Width, shown.Height));
        var rows = cut.FindAll("[data-testid=concept-row]");
        Assert.Contains("Concept 1: tench, Tinca tinca 60%, goldfish 20%", rows[0].TextContent);
        Assert.Contains("Concept 5: Tibetan mastiff 60%, tabby, tabby cat 20%", rows[4].TextContent);
        // Each swatch has its concept's colour: distinct hues round the wheel, the first pure-ish red.
        var swatches = cut.FindAll(".concept-swatch").Select(s => s.GetAttribute("style")).ToList();
        Assert.Equal(5, swatches.Distinct().Count());
        Assert.Contains("rgb(255, 38, 38)", swatches[0]);
    }

    [Fact]
    public async Task TheDownloadIsTheWholePictureWithItsLegendDrawnWhenAsked()
    {
        IRenderedComponent<Home> cut = await OpenConceptsAsync();
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=concept-row]").Count));

        cut.Find("[data-testid=download-concepts]").Click();

        cut.WaitForAssertion(() => Assert.Single(JSInterop.Invocations, i => i.Identifier == "camStudio.download"));
        var download = JSInterop.Invocations.Single(i => i.Identifier == "camStudio.download");
        Assert.Equal("both-concepts-5.png", download.Arguments[0]);
        Assert.Equal("image/png", download.Arguments[1]);
        Assert.Empty(cut.FindAll("[data-testid=engine-error]"));
    }

    [Fact]
    public async Task AnotherKAsksAgainAndARefusalStaysInTheTab()
    {
        IRenderedComponent<Home> cut = await OpenConceptsAsync();
        cut.WaitForAssertion(() => Assert.Equal(5, cut.FindAll("[data-testid=concept-row]").Count));
        MudSelect<int> k = cut.FindComponents<MudSelect<int>>().Single(s => s.Instance.Label == "Concepts (K)").Instance;

        await cut.InvokeAsync(() => k.ValueChanged.InvokeAsync(3));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=concept-row]").Count));
        Assert.Contains("k=3", cut.Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().Uri);

        await cut.InvokeAsync(() => k.ValueChanged.InvokeAsync(8));
        cut.WaitForAssertion(() => Assert.Contains("at most 7 concepts", cut.Find("[data-testid=concepts-error]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=engine-error]"));

        await cut.InvokeAsync(() => k.ValueChanged.InvokeAsync(3));   // cached: the session answers
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=concept-row]").Count));
        Assert.Equal(3, Engine.ConceptRequests.Count);
    }
}
