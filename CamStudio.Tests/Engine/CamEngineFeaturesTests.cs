using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Engine;

/// <summary>The request-wide features through the engine: aug_smooth against the six passes done by hand, fusion, eigen_smooth, guided, and their errors.</summary>
[Collection(TorchCollection.Name)]
public sealed class CamEngineFeaturesTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Fact]
    public async Task AugSmoothEqualsTheSixFlipAndIntensityPassesDoneByHand()
    {
        using var engine = new CamEngine(fixture.Executor, fixture.Models);
        ModuleCamModel model = await fixture.Executor.RunAsync(_ => TinyCnn.GapLinear());
        engine.AddModel("own-tiny", model);
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        string[] methods = ["gradcam", "layercam"];
        EngineExplanation smoothed = await engine.ExplainAsync(new CamRequest { Model = "own-tiny", Methods = methods, Classes = "top2", AugSmooth = true }, [photo]);

        List<(int Class, string Method, float[] Map)> byHand = await fixture.Executor.RunAsync(_ =>
        {
            using DisposeScope scope = torch.NewDisposeScope();
            using Image<Rgb24> resized = PhotoPreprocessor.Resize(photo, model.Preprocessing);
            Tensor batch = PhotoPreprocessor.ToBatch([resized], model.Preprocessing, CPU);
            PhotoExplanation plain = CamExplainer.Explain(model, batch, new ExplainRequest(methods, new ClassSelection.TopK(2)))[0];
            var result = new List<(int, string, float[])>();
            foreach (ClassMap m in plain.Maps)
            {
                float[]? sum = null;
                foreach (bool flip in new[] { false, true })
                {
                    foreach (float factor in new[] { 0.9f, 1f, 1.1f })
                    {
                        Tensor input = (flip ? batch.flip(3) : batch) * factor;
                        var map = CamExplainer.Explain(model, input, new ExplainRequest([m.Method], new ClassSelection.Indices([m.ClassIndex])))[0].Maps[0].Map;
                        float[] scaled = map.Raw.Select(v => Math.Max(v, 0f)).ToArray();
                        float min = scaled.Min(), max = scaled.Max();
                        sum ??= new float[scaled.Length];
                        for (int y = 0; y < map.Height; y++)
                            for (int x = 0; x < map.Width; x++)
                                sum[y * map.Width + x] += max > min ? (scaled[y * map.Width + (flip ? map.Width - 1 - x : x)] - min) / (max - min) / 6 : 0;
                    }
                }
                result.Add((m.ClassIndex, m.Method, sum!));
            }
            return result;
        });

        IReadOnlyList<PlacedClassMap> maps = smoothed.Photos[0].Maps;
        Assert.Equal(byHand.Count, maps.Count);
        for (int j = 0; j < maps.Count; j++)
        {
            Assert.Equal((byHand[j].Class, byHand[j].Method), (maps[j].ClassIndex, maps[j].Method));
            Assert.True(maps[j].Making.AugSmoothed);
            float[] actual = maps[j].Map.Map.Raw;
            for (int i = 0; i < actual.Length; i++)
                Assert.Equal(byHand[j].Map[i], actual[i], 1e-5);
        }
    }

    [Fact]
    public async Task SeveralLayersGiveOneFusedMapThatSaysWhichLayersAndHow()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        var one = new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam"] };
        EngineExplanation relu1 = await fixture.Engine.ExplainAsync(one with { Layer = "relu1" }, [photo]);
        EngineExplanation relu2 = await fixture.Engine.ExplainAsync(one with { Layer = "relu2" }, [photo]);
        EngineExplanation fused = await fixture.Engine.ExplainAsync(one with { Layers = ["relu1", "relu2"], Fuse = "max" }, [photo]);

        PlacedClassMap map = Assert.Single(fused.Photos[0].Maps);
        Assert.Equal("relu1+relu2", map.Layer);
        Assert.Equal(LayerFusion.Max, map.Making.Fusion);
        Assert.Equal(["relu1", "relu2"], map.Making.Layers);
        Assert.Contains("max fusion of relu1, relu2", map.Making.Describe(), StringComparison.Ordinal);
        CamMap expected = LayerFusions.Fuse([relu1.Photos[0].Maps[0].Map.Map, relu2.Photos[0].Maps[0].Map.Map], LayerFusion.Max);
        Assert.Equal((expected.Width, expected.Height), (map.Map.Map.Width, map.Map.Map.Height));
        for (int i = 0; i < expected.Raw.Length; i++)
            Assert.Equal(expected.Raw[i], map.Map.Map.Raw[i], 1e-5);
    }

    [Fact]
    public async Task EigenSmoothAppliesToMethodsWithChannelTermsAndSaysSo()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineExplanation result = await fixture.Engine.ExplainAsync(
            new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam", "eigencam"], EigenSmooth = true }, [photo]);
        Assert.True(result.Photos[0].Maps.Single(m => m.Method == "gradcam").Making.EigenSmoothed);
        Assert.False(result.Photos[0].Maps.Single(m => m.Method == "eigencam").Making.EigenSmoothed);
        Assert.All(result.Photos[0].Maps.Single(m => m.Method == "gradcam").Map.Map.Raw, v => Assert.True(v >= 0));
    }

    [Fact]
    public async Task GuidedGivesOneInputSizedImagePerExplainedClass()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineExplanation result = await fixture.Engine.ExplainAsync(
            new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam"], Classes = "top2", Guided = true }, [photo]);
        PhotoMaps maps = result.Photos[0];
        Assert.Equal(maps.Maps.Select(m => m.ClassIndex), maps.Guided.Select(g => g.ClassIndex));
        Assert.All(maps.Guided, g => Assert.Equal(3 * 12 * 12, g.Values.Length));
        Assert.Contains(maps.Guided[0].Values, v => v != 0);
    }

    [Fact]
    public async Task GuidedRunsOnAFloatOnnxGraph()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineExplanation result = await fixture.Engine.ExplainAsync(
            new CamRequest { Model = EngineFixture.FloatOnnx, Methods = ["gradcam"], Guided = true }, [photo]);
        GuidedGradient guided = Assert.Single(result.Photos[0].Guided);
        Assert.Equal(3 * 224 * 224, guided.Values.Length);
        Assert.Contains(guided.Values, v => v != 0);
    }

    [Theory]
    [InlineData("fuse", CamRequestFields.Fuse, "Unknown fusion 'sum'. Fusions: mean, max, layercam, refine.")]
    [InlineData("eigen", CamRequestFields.EigenSmooth, "none of eigencam has them")]
    [InlineData("layers", CamRequestFields.Layer, "has no capturable layer 'nope'")]
    public async Task BadFeaturesAreClearErrorsOnTheirField(string what, string field, string expected)
    {
        CamRequest request = what switch
        {
            "fuse" => new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam"], Layers = ["relu1", "relu2"], Fuse = "sum" },
            "eigen" => new CamRequest { Model = EngineFixture.Tiny, Methods = ["eigencam"], EigenSmooth = true },
            _ => new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam"], Layers = ["relu2", "nope"] },
        };
        CamRequestException error = await Assert.ThrowsAsync<CamRequestException>(() => fixture.Engine.PlanAsync(request));
        Assert.Equal(field, error.Field);
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
