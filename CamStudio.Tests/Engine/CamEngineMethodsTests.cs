using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Maps;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Engine;

/// <summary>Every method the engine lists, on every kind of model, through <see cref="CamEngine"/>: it works, or it is not listed as available.</summary>
[Collection(TorchCollection.Name)]
public sealed class CamEngineMethodsTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private readonly CamEngine _engine = fixture.Engine;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string model in new[] { EngineFixture.Tiny, EngineFixture.TinyTwoHead, EngineFixture.TinyNoReplace, EngineFixture.FloatOnnx, EngineFixture.TorchVision, EngineFixture.VitTiny, EngineFixture.Default })
        {
            foreach (ICamMethod method in CamMethods.All)
                data.Add(model, method.Id);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AListedMethodExplainsAPhotoAndAnUnlistedOneIsRefusedWithTheSameReason(string model, string method)
    {
        string layer = await LayerForAsync(model, method);
        MethodAvailability availability = (await _engine.MethodsForAsync(model, layer)).Single(m => m.Id == method);
        var request = new CamRequest { Model = model, Methods = [method], Layer = layer, Classes = "top1" };
        if (!availability.IsAvailable)
        {
            Assert.False(string.IsNullOrWhiteSpace(availability.Reason));
            var error = await Assert.ThrowsAsync<CamRequestException>(() => _engine.PlanAsync(request));
            Assert.Equal(CamRequestErrorKind.MethodNotApplicable, error.Kind);
            Assert.Equal("methods", error.Field);
            Assert.Equal(availability.Reason, error.Message);
            return;
        }

        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineExplanation result = await _engine.ExplainAsync(request, [photo]);

        EngineModelDetails details = await _engine.GetModelAsync(model);
        long[] shape = details.Layers.Single(l => l.Name == result.Layer).MapShape;
        PlacedClassMap map = Assert.Single(Assert.Single(result.Photos).Maps);
        Assert.Equal(method, map.Method);
        Assert.Equal(MapPlacement.WholePhoto, result.Photos[0].Placement);   // every model here stretches the photo
        Assert.Equal(result.Photos[0].TopPredictions[0].ClassIndex, map.ClassIndex);
        // FullGrad sums gradients down to the input, so its map is at the input's resolution; every other map at the layer's
        // (LeGrad's patch grid is the ViT's token grid, the auto layer's).
        bool atInput = _engine.Methods.Find(method)!.Requirements.HasFlag(MethodRequirements.BiasGradients);
        Assert.Equal(atInput ? details.Preprocessing.InputHeight : (int)shape[2], map.Map.Map.Height);
        Assert.Equal(atInput ? details.Preprocessing.InputWidth : (int)shape[3], map.Map.Map.Width);
        Assert.All(map.Map.Map.Raw, v => Assert.True(float.IsFinite(v), $"{method} on {model} gave {v}"));
        Assert.True(map.Map.Map.Max > map.Map.Map.Min || map.Map.Map.Max >= 0, "a map is a number per cell");
    }

    /// <summary>
    /// ShapleyCAM's second derivatives and FullGrad's bias gradients are only offered on TorchSharp modules: on an ONNX
    /// graph a missing double-backward would abort the process inside libtorch, and the graph's biases are not exposed yet.
    /// </summary>
    [Fact]
    public async Task EveryBuiltInMethodIsAvailableOnTheDefaultModelAtItsAutoLayerButThoseNeedingModuleInternals()
    {
        IReadOnlyList<MethodAvailability> methods = await _engine.MethodsForAsync(EngineFixture.Default, "auto");
        Assert.Equal(CamMethods.All.Select(m => m.Id), methods.Select(m => m.Id));
        // LeGrad needs a vision transformer's attention blocks (LeGradTests covers imported ViTs).
        string[] moduleOnly = ["shapleycam", "fullgrad"], transformerOnly = ["legrad"];
        Assert.All(methods.Where(m => !moduleOnly.Contains(m.Id) && !transformerOnly.Contains(m.Id)), m => Assert.True(m.IsAvailable, $"{m.Id}: {m.Reason}"));
        Assert.Contains("second derivatives", methods.Single(m => m.Id == "shapleycam").Reason);
        Assert.Contains("at every layer with a bias", methods.Single(m => m.Id == "fullgrad").Reason);
        Assert.Contains("it has no attention softmax", methods.Single(m => m.Id == "legrad").Reason);
        IReadOnlyList<MethodAvailability> onTorchVision = await _engine.MethodsForAsync(EngineFixture.TorchVision, "auto");
        Assert.All(onTorchVision.Where(m => !transformerOnly.Contains(m.Id)), m => Assert.True(m.IsAvailable, $"{m.Id}: {m.Reason}"));
        Assert.Contains("only imported ONNX transformers do", onTorchVision.Single(m => m.Id == "legrad").Reason);
    }

    [Fact]
    public async Task CapabilitiesDecideWhatIsListed()
    {
        MethodAvailability cam = (await _engine.MethodsForAsync(EngineFixture.TinyTwoHead)).Single(m => m.Id == "cam");
        Assert.False(cam.IsAvailable);
        Assert.StartsWith("Method cam needs global average pooling followed by one linear layer after layer 'relu2'", cam.Reason);

        MethodAvailability ablation = (await _engine.MethodsForAsync(EngineFixture.TinyNoReplace)).Single(m => m.Id == "ablationcam");
        Assert.False(ablation.IsAvailable);
        Assert.Contains("needs to rerun the model with a layer's output replaced", ablation.Reason);
        Assert.True((await _engine.MethodsForAsync(EngineFixture.Tiny)).Single(m => m.Id == "ablationcam").IsAvailable);
    }

    [Fact]
    public async Task AUserWrittenMethodRunsOnceRegistered()
    {
        var engine = new CamEngine(fixture.Executor, fixture.Models);
        engine.Methods.Register(new MeanActivation());
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineExplanation result = await engine.ExplainAsync(new CamRequest { Methods = ["mean-activation"], Layer = "auto" }, [photo]);
        PlacedClassMap map = Assert.Single(result.Photos[0].Maps);
        Assert.Equal("mean-activation", map.Method);
        Assert.Equal(7 * 7, map.Map.Map.Raw.Length);
    }

    /// <summary>
    /// The default model's auto layer has 1280 channels (1281 forwards for Ablation-CAM): the slow methods run on its
    /// thinnest spatial layer here, the others at auto, so every method is exercised on the int8 model within seconds.
    /// </summary>
    private async Task<string> LayerForAsync(string model, string method)
    {
        if (model is not (EngineFixture.Default or EngineFixture.TorchVision) || !_engine.Methods.Find(method)!.NeedsExtraForwards)
            return "auto";
        EngineModelDetails details = await _engine.GetModelAsync(model);
        long fewest = details.Layers.Where(l => l.IsSpatial).Min(l => l.Shape[1]);
        return details.Layers.Last(l => l.IsSpatial && l.Shape[1] == fewest).Name;
    }

    /// <summary>A user-written method: the channel mean of the activation.</summary>
    private sealed class MeanActivation : ICamMethod
    {
        public string Id => "mean-activation";
        public string DisplayName => "Mean activation";
        public string Paper => "none (a test method)";
        public MethodRequirements Requirements => MethodRequirements.None;
        public bool IsClassSpecific => false;
        public TorchSharp.torch.Tensor Compute(CamInputs inputs) => inputs.Activations.mean([1]);
    }
}
