using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;
using CamStudio.Engine.Maps;

namespace CamStudio.Tests.Onnx;

/// <summary>The imported model through the studio's own pipeline: PhotoDecoder → PhotoPreprocessor → CamExplainer.</summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxExplainerIntegrationTests : IClassFixture<SharedOnnxModelFixture>
{
    private readonly OnnxCamModel _model;

    public OnnxExplainerIntegrationTests(SharedOnnxModelFixture fixture) => _model = fixture.Model;

    [Fact]
    public void GradCamOfTheImportedModelIsReluOfClassicCamOverTheMapArea()
    {
        // With GAP → linear after the layer, Grad-CAM's weights are W[c, k] / (H·W), so Grad-CAM = ReLU(CAM) / 49 here:
        // the gradient path (autograd through the imported graph) and the head path (dequantised classifier) must agree.
        using DecodedPhoto both = PhotoDecoder.Default.Decode(SharedResources.Image("both.png"));
        using DecodedPhoto coffee = PhotoDecoder.Default.Decode(SharedResources.Image("coffee.png"));
        _model.HeadAfter(_model.AutoLayer);   // the model keeps its head tensors once found
        long before = LiveTensors.OnThisThread();
        IReadOnlyList<PhotoExplanation> explanations;
        using (Tensor batch = PhotoPreprocessor.ToBatch(new Image<Rgb24>[] { both.Image, coffee.Image }, _model.Preprocessing))
            explanations = CamExplainer.Explain(_model, batch, new ExplainRequest(["gradcam", "cam"], new ClassSelection.TopK(2)));
        Assert.Equal(before, LiveTensors.OnThisThread());

        Assert.Equal("bull mastiff", explanations[0].TopPredictions[0].ClassName);
        Assert.Contains("tiger cat", explanations[0].TopPredictions.Take(3).Select(p => p.ClassName));
        Assert.Equal("espresso", explanations[1].TopPredictions[0].ClassName);
        foreach (PhotoExplanation explanation in explanations)
        {
            foreach (var byClass in explanation.Maps.GroupBy(m => m.ClassIndex))
            {
                CamMap gradCam = byClass.Single(m => m.Method == "gradcam").Map, cam = byClass.Single(m => m.Method == "cam").Map;
                Assert.Equal((7, 7), (gradCam.Width, gradCam.Height));
                Assert.Equal(_model.AutoLayer, byClass.First().Layer);
                float scale = Math.Max(1e-3f, cam.Max);
                for (int i = 0; i < 49; i++)
                    Assert.True(Math.Abs(gradCam.Raw[i] - Math.Max(cam.Raw[i], 0) / 49f) <= 1e-5f * scale,
                        $"cell {i}: Grad-CAM {gradCam.Raw[i]} vs ReLU(CAM)/49 {Math.Max(cam.Raw[i], 0) / 49f}");
            }
        }
    }
}
