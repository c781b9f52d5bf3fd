using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

[Collection(TorchCollection.Name)]
public sealed class CamExplainerTests
{
    // Every method a CNN runs: LeGrad needs a vision transformer's attention blocks (tested on the tiny ViT).
    private static readonly string[] AllMethods = CamMethods.All
        .Where(m => !m.Requirements.HasFlag(MethodRequirements.AttentionGradients)).Select(m => m.Id).ToArray();

    [Fact]
    public void KClassesFromOneForwardEqualKSeparateRunsOfOnePhotoEach()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(3, 12, seed: 31);

        IReadOnlyList<PhotoExplanation> together = CamExplainer.Explain(model, batch, new ExplainRequest(AllMethods, new ClassSelection.TopK(3)));

        for (int n = 0; n < 3; n++)
        {
            int[] topClasses = together[n].TopPredictions.Take(3).Select(p => p.ClassIndex).ToArray();
            Assert.Equal(3 * AllMethods.Length, together[n].Maps.Count);
            using Tensor photo = batch[n..(n + 1)];
            for (int rank = 0; rank < 3; rank++)
            {
                PhotoExplanation alone = CamExplainer.Explain(
                    model, photo, new ExplainRequest(AllMethods, new ClassSelection.Indices([topClasses[rank]]))).Single();
                for (int m = 0; m < AllMethods.Length; m++)
                {
                    ClassMap expected = alone.Maps[m];
                    ClassMap actual = together[n].Maps[rank * AllMethods.Length + m];
                    Assert.Equal((expected.Method, expected.ClassIndex), (actual.Method, actual.ClassIndex));
                    MapAssert.Close(expected.Map.Raw, actual.Map.Raw, 1e-5, $"{actual.Method} of photo {n}, rank {rank}");
                }
            }
        }
    }

    [Fact]
    public void ABatchOfResNetPhotosEqualsThePhotosRunOneByOne()
    {
        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: CamStudio.Engine.Imaging.PreprocessingSpec.ImageNet(64), device: torch.CPU);
        using Tensor batch = TinyCnn.RandomBatch(3, 64, seed: 32);
        var request = new ExplainRequest(["gradcam", "gradcam++", "eigencam", "cam"], new ClassSelection.Indices([1, 500]));

        IReadOnlyList<PhotoExplanation> together = CamExplainer.Explain(model, batch, request);

        for (int n = 0; n < 3; n++)
        {
            using Tensor photo = batch[n..(n + 1)];
            PhotoExplanation alone = CamExplainer.Explain(model, photo, request).Single();
            Assert.Equal(alone.TopPredictions.Select(p => p.ClassIndex), together[n].TopPredictions.Select(p => p.ClassIndex));
            Assert.Equal(8, together[n].Maps.Count);
            for (int m = 0; m < alone.Maps.Count; m++)
                MapAssert.Close(alone.Maps[m].Map.Raw, together[n].Maps[m].Map.Raw, 1e-4, $"{alone.Maps[m].Method} of photo {n}");
        }
    }

    [Fact]
    public void TopPredictionsAreTheFiveMostProbableClassesWithSoftmaxProbabilities()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, 12, seed: 33);
        float[] logits;
        using (torch.no_grad())
        using (Tensor output = model.Module.call(batch))
            logits = output.data<float>().ToArray();

        IReadOnlyList<PhotoExplanation> result = CamExplainer.Explain(model, batch, ExplainRequest.Default);

        for (int n = 0; n < 2; n++)
        {
            double[] row = logits.Skip(n * TinyCnn.Classes).Take(TinyCnn.Classes).Select(v => (double)v).ToArray();
            double total = row.Sum(Math.Exp);
            int[] order = Enumerable.Range(0, TinyCnn.Classes).OrderByDescending(c => row[c]).ToArray();
            Assert.Equal(order, result[n].TopPredictions.Select(p => p.ClassIndex));
            for (int j = 0; j < TinyCnn.Classes; j++)
                Assert.Equal(Math.Exp(row[order[j]]) / total, result[n].TopPredictions[j].Probability, 1e-5);
            Assert.Equal(order[0], result[n].Maps.Single().ClassIndex);
            Assert.Equal("relu2", result[n].Maps.Single().Layer);
        }
    }

    [Fact]
    public void PhotosArePreprocessedForTheModelAndExplainedAsOneBatch()
    {
        using ModuleCamModel model = TinyCnn.GapLinear(inputSize: 12);
        using var red = new Image<Rgb24>(40, 30, new Rgb24(200, 30, 30));
        using var striped = new Image<Rgb24>(25, 25);
        for (int y = 0; y < 25; y++)
            for (int x = 0; x < 25; x++)
                striped[x, y] = x % 4 < 2 ? new Rgb24(250, 250, 250) : new Rgb24(10, 60, 120);
        var request = new ExplainRequest(["gradcam", "eigencam"], new ClassSelection.TopK(2));
        long before = LiveTensors.OnThisThread();

        IReadOnlyList<PhotoExplanation> fromPhotos = CamExplainer.Explain(model, [red, striped], request);

        Assert.Equal(before, LiveTensors.OnThisThread());
        using Tensor batch = PhotoPreprocessor.ToBatch([red, striped], model.Preprocessing);
        IReadOnlyList<PhotoExplanation> fromBatch = CamExplainer.Explain(model, batch, request);
        Assert.Equal(2, fromPhotos.Count);
        for (int n = 0; n < 2; n++)
        {
            Assert.Equal(fromBatch[n].TopPredictions, fromPhotos[n].TopPredictions);
            for (int m = 0; m < 4; m++)
                Assert.Equal(fromBatch[n].Maps[m].Map.Raw, fromPhotos[n].Maps[m].Map.Raw);
        }
        Assert.Throws<ArgumentException>(() => CamExplainer.Explain(model, Array.Empty<Image<Rgb24>>(), request));
    }

    [Fact]
    public void FiftyExplainCallsLeaveNoTensorBehind()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, 12, seed: 34);
        var request = new ExplainRequest(AllMethods, new ClassSelection.TopK(2));
        CamExplainer.Explain(model, batch, request);
        long before = LiveTensors.OnThisThread();

        for (int i = 0; i < 50; i++)
            CamExplainer.Explain(model, batch, request);

        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void FailedRequestsLeaveNoTensorBehind()
    {
        using ModuleCamModel model = TinyCnn.TwoLayerHead();
        using Tensor batch = TinyCnn.RandomBatch(1, 12, seed: 35);
        long before = LiveTensors.OnThisThread();

        Assert.Throws<ArgumentException>(() => CamExplainer.Explain(model, batch, new ExplainRequest(["cam"], ClassSelection.Top1)));
        Assert.Throws<ArgumentException>(() => CamExplainer.Explain(model, batch, new ExplainRequest(["gradcam"], new ClassSelection.Indices([99]))));

        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void ACancelledExplanationStopsAndLeavesNoTensorBehind()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, 12, seed: 43);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        long before = LiveTensors.OnThisThread();

        Assert.ThrowsAny<OperationCanceledException>(() =>
            CamExplainer.Explain(model, batch, new ExplainRequest(["scorecam", "gradcam"], new ClassSelection.TopK(2)), cancellation.Token));

        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public void CamOnAModelWithoutGapAndOneLinearLayerSaysToUseGradCam()
    {
        using ModuleCamModel model = TinyCnn.TwoLayerHead();
        using Tensor batch = TinyCnn.RandomBatch(1, 12, seed: 36);

        var error = Assert.Throws<ArgumentException>(() =>
            CamExplainer.Explain(model, batch, new ExplainRequest(["gradcam", "cam"], ClassSelection.Top1)));

        Assert.Contains("cam needs global average pooling followed by one linear layer after layer 'relu2'", error.Message);
        Assert.Contains("gradcam", error.Message);
    }

    [Fact]
    public void UnknownLayerErrorListsTheClosestCapturableLayers()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(1, 12, seed: 37);

        var error = Assert.Throws<ArgumentException>(() =>
            CamExplainer.Explain(model, batch, new ExplainRequest(["gradcam"], ClassSelection.Top1, "conv3")));

        Assert.Contains("'conv3'", error.Message);
        Assert.Contains("conv1, conv2", error.Message);
    }

    [Fact]
    public void ANonSpatialLayerIsRefusedWithItsShape()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(1, 12, seed: 38);

        var error = Assert.Throws<ArgumentException>(() =>
            CamExplainer.Explain(model, batch, new ExplainRequest(["gradcam"], ClassSelection.Top1, "fc")));

        Assert.Contains("1×5", error.Message);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(-1)]
    public void ClassIndexOutOfRangeIsRefused(int classIndex)
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(1, 12, seed: 39);

        var error = Assert.Throws<ArgumentException>(() =>
            CamExplainer.Explain(model, batch, new ExplainRequest(["gradcam"], new ClassSelection.Indices([classIndex]))));

        Assert.Contains($"Class index {classIndex} is out of range", error.Message);
        Assert.Contains("0–4", error.Message);
    }

    [Fact]
    public void UnknownMethodIsRefusedWithTheValidIds()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(1, 12, seed: 40);

        var error = Assert.Throws<ArgumentException>(() =>
            CamExplainer.Explain(model, batch, new ExplainRequest(["gradcam", "nocam"], ClassSelection.Top1)));

        Assert.Contains("'nocam'", error.Message);
        Assert.Contains("eigencam", error.Message);
    }

    [Fact]
    public void EigenCamIsComputedOnceAndListedUnderEveryClass()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(1, 12, seed: 41);

        PhotoExplanation result = CamExplainer.Explain(model, batch, new ExplainRequest(["eigencam", "gradcam"], new ClassSelection.TopK(2))).Single();

        Assert.Equal(["eigencam", "gradcam", "eigencam", "gradcam"], result.Maps.Select(m => m.Method));
        Assert.Same(result.Maps[0].Map, result.Maps[2].Map);
        Assert.NotEqual(result.Maps[0].ClassIndex, result.Maps[2].ClassIndex);
    }

    [Fact]
    public void GradientsDoNotLeakIntoTheModelsParameters()
    {
        using ModuleCamModel model = TinyCnn.GapLinear();
        using Tensor batch = TinyCnn.RandomBatch(2, 12, seed: 42);

        CamExplainer.Explain(model, batch, new ExplainRequest(AllMethods, new ClassSelection.TopK(2)));

        Assert.All(model.Module.parameters(), p =>
        {
            Assert.False(p.requires_grad);
            Assert.True(p.grad is null);
        });
        Assert.True(torch.is_grad_enabled());
    }
}
