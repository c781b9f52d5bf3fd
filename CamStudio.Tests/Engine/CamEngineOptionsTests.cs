using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace CamStudio.Tests.Engine;

/// <summary>Method options: parsed and checked once by the engine, scoped by method id, refused clearly when wrong.</summary>
[Collection(TorchCollection.Name)]
public sealed class CamEngineOptionsTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Fact]
    public async Task AnOptionReachesTheMethodAndScopedKeysWin()
    {
        using CamEngine engine = EngineWithScaled();
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        float[] plain = await RawAsync(engine, photo, new Dictionary<string, string>());
        float[] tripled = await RawAsync(engine, photo, new Dictionary<string, string> { ["factor"] = "3" });
        float[] scoped = await RawAsync(engine, photo, new Dictionary<string, string> { ["factor"] = "3", ["Scaled.factor"] = "0.5" });
        Assert.Equal(plain.Length, tripled.Length);
        for (int i = 0; i < plain.Length; i++)
        {
            Assert.Equal(2 * plain[i], tripled[i], 1e-4); // default factor 1.5 → 3
            Assert.Equal(plain[i] / 3, scoped[i], 1e-4);   // 1.5 → 0.5
        }
    }

    [Theory]
    [InlineData("factor", "many", "Option 'factor' of scaled must be a number from 0.1 to 10")]
    [InlineData("factor", "11", "got '11'")]
    [InlineData("repeats", "2.5", "must be a whole number from 1 to 4")]
    [InlineData("sigma", "1", "Unknown option 'sigma' for scaled. Options they take: scaled: factor, repeats.")]
    [InlineData("gradcam.factor", "1", "Unknown option 'gradcam.factor'")]
    public async Task ABadOptionIsAClearErrorOnTheOptionsField(string key, string value, string expected)
    {
        using CamEngine engine = EngineWithScaled();
        var request = new CamRequest { Model = EngineFixture.Tiny, Methods = ["scaled"], Options = new Dictionary<string, string> { [key] = value } };
        CamRequestException error = await Assert.ThrowsAsync<CamRequestException>(() => engine.PlanAsync(request));
        Assert.Equal(CamRequestErrorKind.InvalidValue, error.Kind);
        Assert.Equal(CamRequestFields.Options, error.Field);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MethodsListTheirOptionsForFrontEnds()
    {
        using CamEngine engine = EngineWithScaled();
        MethodAvailability scaled = (await engine.MethodsForAsync(EngineFixture.Tiny)).Single(m => m.Id == "scaled");
        Assert.Equal(["factor", "repeats"], scaled.Options.Select(o => o.Name));
        Assert.Empty((await engine.MethodsForAsync(EngineFixture.Tiny)).Single(m => m.Id == "gradcam").Options);
    }

    [Fact]
    public void OptionTextIsSplitTheSameWayForEveryFrontEnd()
    {
        IReadOnlyDictionary<string, string> options = MethodOptionText.Parse("samples=35, SSCAM.Sigma = 2;k=64\n", "scorecam.k=16");
        Assert.Equal(new Dictionary<string, string> { ["samples"] = "35", ["sscam.sigma"] = "2", ["k"] = "64", ["scorecam.k"] = "16" }, options);
        Assert.Equal("k=64, samples=35, scorecam.k=16, sscam.sigma=2", MethodOptionText.Format(options));
        Assert.Equal(options, MethodOptionText.Parse(MethodOptionText.Format(options)));
        Assert.Empty(MethodOptionText.Parse(null, "", " ; "));
    }

    [Theory]
    [InlineData("samples", "Option 'samples' is not of the form name=value")]
    [InlineData("=3", "Option '=3' is not of the form name=value")]
    [InlineData("k=", "Option 'k=' is not of the form name=value")]
    [InlineData("k=1, K=2", "Option 'K' is given twice")]
    public void MalformedOptionTextIsAnErrorOnTheOptionsField(string text, string expected)
    {
        CamRequestException error = Assert.Throws<CamRequestException>(() => MethodOptionText.Parse(text));
        Assert.Equal((CamRequestErrorKind.InvalidValue, CamRequestFields.Options), (error.Kind, error.Field));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    private CamEngine EngineWithScaled()
    {
        var engine = new CamEngine(fixture.Executor, fixture.Models);
        engine.AddModel(EngineFixture.Tiny, fixture.Executor.RunAsync(_ => TinyCnn.GapLinear()).GetAwaiter().GetResult());
        engine.Methods.Register(new Scaled(1.5));
        return engine;
    }

    private static async Task<float[]> RawAsync(CamEngine engine, Image<Rgb24> photo, Dictionary<string, string> options)
    {
        EngineExplanation result = await engine.ExplainAsync(
            new CamRequest { Model = EngineFixture.Tiny, Methods = ["scaled"], Options = options }, [photo]);
        return result.Photos[0].Maps.Single().Map.Map.Raw;
    }

    /// <summary>A test method: the channel mean of the activation times <c>factor</c>.</summary>
    private sealed class Scaled(double factor) : ICamMethod
    {
        public string Id => "scaled";
        public string DisplayName => "Scaled mean";
        public string Paper => "none (a test method)";
        public MethodRequirements Requirements => MethodRequirements.None;
        public bool IsClassSpecific => false;

        public IReadOnlyList<MethodOption> Options { get; } =
        [
            new("factor", "what the mean is multiplied by", 1.5, 0.1, 10),
            new("repeats", "unused; a whole-number option", 1, 1, 4, IsInteger: true),
        ];

        public ICamMethod WithOptions(MethodOptionValues values) => new Scaled(values["factor"]);

        public Tensor Compute(CamInputs inputs) => inputs.Activations.mean([1]) * factor;
    }
}
