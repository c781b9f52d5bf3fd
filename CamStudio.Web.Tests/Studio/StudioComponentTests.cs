using Bunit;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Studio;
using Microsoft.Extensions.DependencyInjection;
using CamStudio.Engine.Maps;

namespace CamStudio.Tests.Web;

public sealed class PredictionListTests : StudioTestContext
{
    [Fact]
    public void PredictionsAreListedInOrderWithTheirProbabilitiesAsPercentages()
    {
        IRenderedComponent<PredictionList> cut = RenderWithProviders<PredictionList>(p => p
            .Add(c => c.Predictions, [new Prediction(243, "bull mastiff", 0.8123f), new Prediction(282, "tiger cat", 0.0456f)]));

        var rows = cut.FindAll("[data-testid=prediction]");
        Assert.Equal(["bull mastiff", "tiger cat"], rows.Select(r => r.GetAttribute("data-class")));
        Assert.Contains("81.2", rows[0].QuerySelector(".prediction-probability")!.TextContent);
        Assert.Contains("4.6", rows[1].QuerySelector(".prediction-probability")!.TextContent);
    }

    [Fact]
    public void ClickingAPredictionPicksItsClass()
    {
        int? picked = null;
        IRenderedComponent<PredictionList> cut = RenderWithProviders<PredictionList>(p => p
            .Add(c => c.Predictions, [new Prediction(243, "bull mastiff", 0.8f), new Prediction(282, "tiger cat", 0.1f)])
            .Add(c => c.SelectedClass, 243)
            .Add(c => c.ClassPicked, (int index) => picked = index));

        cut.FindAll("[data-testid=prediction]")[1].Click();

        Assert.Equal(282, picked);
    }
}

public sealed class ColorBarTests : StudioTestContext
{
    [Fact]
    public void TheColourBarIsLabelledWithItsRange()
    {
        IRenderedComponent<ColorBar> cut = RenderWithProviders<ColorBar>(p => p
            .Add(c => c.Range, new ValueRange(-0.25f, 12.5f)).Add(c => c.Colormap, "jet").Add(c => c.Label, "shared scale"));

        string text = cut.Find("[data-testid=color-bar]").TextContent;
        Assert.Contains("-0.25", text);
        Assert.Contains("12.5", text);
        Assert.Contains("shared scale", text);
    }
}

public sealed class OverlayViewTests : StudioTestContext
{
    [Fact]
    public void TheMapValuesAreSentToTheBrowserOnceForTheReadout()
    {
        var map = new CamStudio.Engine.Maps.PlacedMap(new CamMap(2, 2, [0f, 1f, 2f, 3f]), new CamStudio.Engine.Maps.MapPlacement(0.25, 0, 0.5, 1), 224, 224);
        IRenderedComponent<OverlayView> cut = RenderWithProviders<OverlayView>(p => p
            .Add(c => c.ImageUrl, "data:image/png;base64,").Add(c => c.Map, map));

        cut.Render(); // a re-render with the same map must not send it again
        var sent = Assert.Single(JSInterop.Invocations, i => i.Identifier == "camStudio.setReadoutMap");
        string json = System.Text.Json.JsonSerializer.Serialize(sent.Arguments[2]);
        Assert.Contains("\"values\":[0,1,2,3]", json);
        Assert.Contains("\"min\":0", json);
        Assert.Contains("\"max\":3", json);
        // The readout knows the region the map covers, so it reads nothing in the margins the model never saw.
        Assert.Contains("\"left\":0.25", json);
        Assert.Contains("\"regionWidth\":0.5", json);
    }
}

public sealed class MethodOptionsEditorTests : StudioTestContext
{
    private StudioState StateWith(string method) => new([], Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Services.GetRequiredService<MudBlazor.ISnackbar>())
    {
        Method = method,
        Availability =
        [
            new MethodAvailability("sscam", "SS-CAM", "", MethodRequirements.ExtraForwards, true, null)
            {
                Options = [new MethodOption("samples", "noisy copies per mask", 35, 1, 200, IsInteger: true), new MethodOption("sigma", "noise σ", 2, 0, 10)],
            },
            new MethodAvailability("gradcam", "Grad-CAM", "", MethodRequirements.Gradients, true, null),
        ],
    };

    [Fact]
    public void TheChosenMethodsOptionsAreFieldsWithTheirDefaultsAndAChangeIsKeptPerMethod()
    {
        StudioState state = StateWith("sscam");
        int changes = 0;
        IRenderedComponent<MethodOptionsEditor> cut = RenderWithProviders<MethodOptionsEditor>(p => p
            .Add(c => c.State, state).Add(c => c.OptionsChanged, () => changes++));

        var samples = cut.Find("[data-testid=option-samples]");
        Assert.Equal("35", samples.GetAttribute("value"));
        Assert.Contains("a whole number from 1 to 200; default 35", cut.Markup, StringComparison.Ordinal);
        samples.Change("20");

        Assert.Equal(1, changes);
        Assert.Equal("20", state.MethodOptions["sscam.samples"]);
    }

    [Fact]
    public void AMethodWithoutOptionsShowsNothing()
    {
        IRenderedComponent<MethodOptionsEditor> cut = RenderWithProviders<MethodOptionsEditor>(p => p.Add(c => c.State, StateWith("gradcam")));
        Assert.Empty(cut.FindAll("[data-testid=method-options]"));
    }
}
