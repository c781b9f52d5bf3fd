using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Metrics;
using CamStudio.Tests.Engine;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Metrics;

/// <summary>The engine's evaluation and recommendation: real properties on the default model, clear errors on bad settings.</summary>
[Collection(TorchCollection.Name)]
public sealed class CamEngineEvaluateTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Theory]
    [InlineData("both.png")]
    [InlineData("coffee.png")]
    [InlineData("chelsea.png")]
    public async Task GradCamBeatsTheRandomBaselineOnDeletionAndInsertion(string name)
    {
        using Image<Rgb24> photo = EngineFixture.Photo(name);
        var progress = new List<ExplainProgress>();
        EngineEvaluation result = await fixture.Engine.EvaluateAsync(new EvaluateRequest
        {
            Request = new CamRequest { Methods = ["gradcam"] },
            Metrics = [MetricNames.Deletion, MetricNames.Insertion],
            Baselines = true,
            Steps = 10, // half the default's passes; the property holds at any resolution of the curve
        }, [photo], new SynchronousProgress(progress));
        EvaluatedMap gradcam = result.Photos[0].Maps.Single(m => m.Method == "gradcam");
        EvaluatedMap random = result.Photos[0].Maps.Single(m => m.Method == MetricNames.BaselineRandom);
        Assert.True(gradcam.Scores.DeletionAuc < random.Scores.DeletionAuc, $"deletion {gradcam.Scores.DeletionAuc} vs {random.Scores.DeletionAuc}");
        Assert.True(gradcam.Scores.InsertionAuc > random.Scores.InsertionAuc, $"insertion {gradcam.Scores.InsertionAuc} vs {random.Scores.InsertionAuc}");
        Assert.Equal(11, gradcam.Scores.DeletionCurve!.Count); // 224² positions, step 5018: 0 … 45162, then 50176
        Assert.Equal(gradcam.Probability, gradcam.Scores.DeletionCurve[0], 1e-6);
        Assert.Equal(gradcam.Probability, gradcam.Scores.InsertionCurve![^1], 1e-6);
        Assert.Equal(result.Photos[0].TopPredictions[0].Probability, gradcam.Probability, 1e-4);
        Assert.NotEmpty(progress);
        Assert.Equal(progress[^1].TotalForwards, progress[^1].DoneForwards);
    }

    [Fact]
    public async Task EveryMetricFillsItsScoresOnTheTinyModel()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineEvaluation result = await fixture.Engine.EvaluateAsync(new EvaluateRequest
        {
            Request = new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam", "eigencam"], Classes = "top2" },
            Metrics = ["deletion", "Insertion", "drop", "increase", "road", "sanity"],
            Box = new PhotoBox(10, 10, photo.Width / 2, photo.Height / 2),
            Baselines = true,
            Steps = 4,
        }, [photo]);
        Assert.Equal(MetricNames.All, result.Metrics);
        Assert.Equal(2 * (2 + 3), result.Photos[0].Maps.Count);
        foreach (EvaluatedMap map in result.Photos[0].Maps)
        {
            MapScores s = map.Scores;
            Assert.NotNull(s.DeletionAuc);
            Assert.NotNull(s.InsertionAuc);
            Assert.InRange(s.AverageDrop!.Value, 0, 1);
            Assert.NotNull(s.Increase);
            Assert.Equal((s.RoadLerf!.Value - s.RoadMorf!.Value) / 2, s.RoadCombined!.Value, 1e-9);
            Assert.NotNull(s.PointingHit);
            Assert.InRange(s.EnergyPointing!.Value, 0, 1);
            Assert.NotNull(s.Sanity);
        }
        Assert.Contains(result.Summary, r => r.Method == MetricNames.BaselineSobel && r.Maps == 2);
    }

    [Fact]
    public async Task TheBaselinesAreScoredOncePerPhotoAndClassWhateverMethodIsJudgedBesideThem()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("dog.jpg");
        EvaluateRequest Request(string method, int steps = 4) => new()
        {
            Request = new CamRequest { Model = EngineFixture.Tiny, Methods = [method] },
            Metrics = [MetricNames.Deletion, MetricNames.Insertion, MetricNames.Road],
            Baselines = true,
            Steps = steps,
        };
        EngineEvaluation first = await fixture.Engine.EvaluateAsync(Request("gradcam"), [photo]);
        long hits = fixture.Engine.BaselineScoreHits;
        var progress = new List<ExplainProgress>();
        EngineEvaluation second = await fixture.Engine.EvaluateAsync(Request("eigencam"), [photo], new SynchronousProgress(progress));
        Assert.Equal(hits + MetricNames.Baselines.Count, fixture.Engine.BaselineScoreHits);
        foreach (string name in MetricNames.Baselines)
            Assert.Equal(first.Photos[0].Maps.Single(m => m.Method == name).Scores, second.Photos[0].Maps.Single(m => m.Method == name).Scores);
        Assert.Equal(progress[^1].TotalForwards, progress[^1].DoneForwards);
        // Other settings are other scores: nothing reused.
        await fixture.Engine.EvaluateAsync(Request("eigencam", steps: 5), [photo]);
        Assert.Equal(hits + MetricNames.Baselines.Count, fixture.Engine.BaselineScoreHits);
    }

    [Theory]
    [InlineData("faithfulness", null, 20, CamRequestFields.Metrics, "Unknown metric 'faithfulness'. Metrics: deletion, insertion")]
    [InlineData("deletion", "0,0,5000,10", 20, CamRequestFields.Box, "is not inside the")]
    [InlineData("deletion", null, 0, CamRequestFields.Steps, "Steps must be between 1 and 1000, got 0")]
    [InlineData("pointing", null, 20, CamRequestFields.Box, "need the object's box")]
    public async Task BadSettingsAreClearErrorsOnTheirField(string metric, string? box, int steps, string field, string message)
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        CamRequestException error = await Assert.ThrowsAsync<CamRequestException>(() => fixture.Engine.EvaluateAsync(new EvaluateRequest
        {
            Request = new CamRequest { Model = EngineFixture.Tiny, Methods = ["gradcam"] },
            Metrics = [metric],
            Box = box is null ? null : PhotoBox.Parse(box),
            Steps = steps,
        }, [photo]));
        Assert.Equal(field, error.Field);
        Assert.Equal(CamRequestErrorKind.InvalidValue, error.Kind);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMalformedBoxIsAClearError()
    {
        CamRequestException error = Assert.Throws<CamRequestException>(() => PhotoBox.Parse("1,2,three"));
        Assert.Equal(CamRequestFields.Box, error.Field);
    }

    [Fact]
    public async Task RecommendRanksLayerMethodPairsAndBaselinesByInsertionMinusDeletion()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        EngineRecommendation result = await fixture.Engine.RecommendAsync(new RecommendRequest
        {
            Request = new CamRequest { Model = EngineFixture.Tiny },
            LastLayers = 2,
            Steps = 4,
        }, [photo]);
        Assert.Equal(["conv2", "relu2"], result.Layers);
        Assert.Equal(Enumerable.Range(1, result.Ranked.Count), result.Ranked.Select(r => r.Rank));
        Assert.Equal(MetricNames.Baselines.Order(), result.Ranked.Where(r => r.IsBaseline).Select(r => r.Method).Order());
        Assert.Contains(result.Ranked, r => r.Method == "gradcam" && r.Layer == "relu2");
        Assert.DoesNotContain(result.Ranked, r => r.Method == "scorecam"); // slow methods only when asked for
        foreach (Recommendation r in result.Ranked)
            Assert.Equal(r.InsertionAuc - r.DeletionAuc, r.Score, 12);
        Assert.True(result.Ranked.Zip(result.Ranked.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.False(result.Best!.IsBaseline);
    }

    private sealed class SynchronousProgress(List<ExplainProgress> sink) : IProgress<ExplainProgress>
    {
        public void Report(ExplainProgress value) => sink.Add(value);
    }
}
