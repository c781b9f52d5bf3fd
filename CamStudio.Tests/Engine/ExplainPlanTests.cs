using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Engine;

/// <summary>A bad request is refused at planning with the right kind and field, before any photo is touched.</summary>
[Collection(TorchCollection.Name)]
public sealed class ExplainPlanTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private readonly CamEngine _engine = fixture.Engine;

    public static TheoryData<string, string, string, string, CamRequestErrorKind, string, string> BadRequests() => new()
    {
        { "no-such-model", "gradcam", "auto", "top1", CamRequestErrorKind.UnknownModel, "model", "No model named 'no-such-model'" },
        { EngineFixture.Tiny, "gradcm", "auto", "top1", CamRequestErrorKind.UnknownMethod, "methods", "Unknown CAM method 'gradcm'. Valid methods: cam, gradcam," },
        { EngineFixture.Tiny, "gradcam", "conv3", "top1", CamRequestErrorKind.UnknownLayer, "layer", "Model 'tiny' has no capturable layer 'conv3'. Closest of its" },
        { EngineFixture.Tiny, "gradcam", "fc", "top1", CamRequestErrorKind.UnsupportedLayer, "layer", "Layer 'fc' of model 'tiny' outputs 1×5; class activation maps need a 4-D N×C×H×W activation or a token grid" },
        { EngineFixture.Tiny, "gradcam", "auto", "zebra", CamRequestErrorKind.UnknownClass, "classes", "zebra" },
        { EngineFixture.Tiny, "gradcam", "auto", "top9", CamRequestErrorKind.UnknownClass, "classes", "top9 asks for more classes than model 'tiny' has (5)." },
        { EngineFixture.TinyTwoHead, "gradcam,cam", "auto", "top1", CamRequestErrorKind.MethodNotApplicable, "methods",
            "Method cam needs global average pooling followed by one linear layer after layer 'relu2', and model 'tiny-twohead' has something else there; use gradcam (or another gradient method) instead." },
        { EngineFixture.Tiny, "cam", "relu1", "top1", CamRequestErrorKind.MethodNotApplicable, "methods", "Method cam needs global average pooling followed by one linear layer after layer 'relu1'" },
        { EngineFixture.TinyNoReplace, "ablationcam", "auto", "top1", CamRequestErrorKind.MethodNotApplicable, "methods",
            "Method ablationcam needs to rerun the model with a layer's output replaced, which model 'tiny-noreplace' cannot do; use another method (e.g. scorecam)." },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task ABadRequestIsRefusedWithItsKindAndField(string model, string methods, string layer, string classes,
        CamRequestErrorKind kind, string field, string message)
    {
        var request = new CamRequest { Model = model, Methods = methods.Split(','), Layer = layer, Classes = classes };

        var error = await Assert.ThrowsAsync<CamRequestException>(() => _engine.PlanAsync(request));

        Assert.Equal(kind, error.Kind);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task NoMethodAndNoPhotoAreInvalidValues()
    {
        var none = await Assert.ThrowsAsync<CamRequestException>(() => _engine.PlanAsync(new CamRequest { Model = EngineFixture.Tiny }));
        Assert.Equal((CamRequestErrorKind.InvalidValue, "methods"), (none.Kind, none.Field));

        var noPhoto = await Assert.ThrowsAsync<CamRequestException>(() =>
            _engine.ExplainAsync(new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam"] }, Array.Empty<Image<Rgb24>>()));
        Assert.Equal((CamRequestErrorKind.InvalidValue, "image"), (noPhoto.Kind, noPhoto.Field));
    }

    [Fact]
    public async Task APlanResolvesMethodsLayerAndClassesOnce()
    {
        ExplainPlan plan = await _engine.PlanAsync(new CamRequest
        {
            Model = "TINY",
            Methods = ["GradCAM", "scorecam", "gradcam"],
            Classes = "2;class 4",
        });

        Assert.Equal(EngineFixture.Tiny, plan.ModelName);
        Assert.Equal(["gradcam", "scorecam"], plan.Methods.Select(m => m.Id));
        Assert.Equal("relu2", plan.Layer.Name);
        Assert.Equal([2, 4], Assert.IsType<ClassSelection.Indices>(plan.Classes).Classes);
        Assert.True(plan.IsLong);
        Assert.Equal(6, plan.ExtraForwardsPerPhoto);   // Score-CAM: one pass per channel of relu2
    }
}
