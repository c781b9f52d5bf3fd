using CamStudio.Engine;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Models;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Engine;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Metrics;

/// <summary>Cascading randomisation on the hand-built GAP + linear model, and the weights put back afterwards.</summary>
[Collection(TorchCollection.Name)]
public sealed class SanityCheckTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Fact]
    public void RandomisingRestoresEveryWeightExactly()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor input = torch.rand([1, 3, 12, 12], generator: new torch.Generator(3, torch.CPU));
        Assert.Equal(3, model.WeightGroupCount); // conv1, conv2, fc
        float[] before = model.Run(input, "relu2", false).Logits.data<float>().ToArray();
        float[] during;
        using (model.RandomiseFromOutput(1, 11))
            during = model.Run(input, "relu2", false).Logits.data<float>().ToArray();
        float[] after = model.Run(input, "relu2", false).Logits.data<float>().ToArray();
        Assert.Equal(before, after);
        Assert.NotEqual(before, during);
    }

    [Fact]
    public async Task GradCamOfTheGapLinearModelDecorrelatesAndBaselinesFail()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineEvaluation result = await fixture.Engine.EvaluateAsync(new EvaluateRequest
        {
            Request = new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam", "cam"], Layer = "relu2" },
            Metrics = [MetricNames.Sanity],
            Baselines = true,
            SanityStages = 3,
        }, [photo]);
        EvaluatedMap gradcam = result.Photos[0].Maps.Single(m => m.Method == "gradcam");
        SanityResult sanity = gradcam.Scores.Sanity!;
        Assert.Equal([1, 2, 3], sanity.Stages.Select(s => s.RandomisedGroups));
        Assert.Equal(3, sanity.WeightGroups);
        // The verdict's stage is the first with at least half the groups (2 of 3) randomised.
        Assert.Equal(sanity.Stages[1].Spearman, sanity.Spearman);
        Assert.True(sanity.Spearman < SanityCheck.PassThreshold, $"Spearman {sanity.Spearman}");
        Assert.True(sanity.Passes);
        Assert.InRange(sanity.RandomClass, 0, TinyCnn.Classes - 1);
        Assert.NotEqual(gradcam.ClassIndex, sanity.RandomClass);
        foreach (string baseline in MetricNames.Baselines)
            Assert.False(result.Photos[0].Maps.Single(m => m.Method == baseline).Scores.Sanity!.Passes);
    }
}
