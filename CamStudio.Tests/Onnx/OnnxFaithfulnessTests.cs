using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// The key check that the importer runs the model it was given: TorchVision's mobilenet_v2, with the same int8 weights
/// dequantised independently in the test, must produce the same logits on real photos.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxFaithfulnessTests
{
    private static readonly string[] Photos = ["both.png", "coffee.png", "chelsea.png", "grace_hopper.bmp"];

    private readonly ITestOutputHelper _output;

    public OnnxFaithfulnessTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void ImportedGraphMatchesTorchVisionMobileNetV2WithTheSameWeights()
    {
        using var reference = TorchVisionReference.MobileNetV2FromSharedModel();
        using OnnxCamModel model = OnnxTestSupport.LoadSharedModel();
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor photos = OnnxTestSupport.Photos(Photos);
        Tensor expected = reference.call(photos);
        using ModelRun run = model.Run(photos, model.AutoLayer, trackGradients: false);

        float difference = (run.Logits - expected).abs().max().item<float>();
        float scale = expected.abs().max().item<float>();
        _output.WriteLine($"max |Δlogit| {difference:G3} at logit scale {scale:F2}");
        // Default policy: ReLU6 where the quantised range is [0, 6], ReLU where it is [0, hi], nothing elsewhere, i.e.
        // torchvision's float network exactly (activations in the [0, hi < 6] ranges stay below 6 on these photos).
        Assert.True(difference < 1e-5f * scale, $"max |Δlogit| {difference} exceeds 1e-5 × {scale}");
        for (int i = 0; i < Photos.Length; i++)
            Assert.Equal(expected[i].argmax().item<long>(), run.Logits[i].argmax().item<long>());
    }

    [Fact]
    public void SaturatingEveryQuantisedRangeMovesTheLogitsOnlySlightly()
    {
        // Clamping every output to its full int8 range (as the int8 kernels would) is what separates the saturating
        // policy from the float network: a measurable but small change, with the same top-1 on every photo.
        using var reference = TorchVisionReference.MobileNetV2FromSharedModel();
        using OnnxCamModel saturated = OnnxTestSupport.LoadSharedModel(new OnnxImportOptions(QuantizedRangePolicy.Saturate));
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor photos = OnnxTestSupport.Photos(Photos);
        Tensor expected = reference.call(photos);
        using ModelRun run = saturated.Run(photos, saturated.AutoLayer, trackGradients: false);
        float difference = (run.Logits - expected).abs().max().item<float>();
        _output.WriteLine($"saturating policy: max |Δlogit| {difference:G3}");
        Assert.InRange(difference, 1e-4f, 0.5f);
        for (int i = 0; i < Photos.Length; i++)
            Assert.Equal(expected[i].argmax().item<long>(), run.Logits[i].argmax().item<long>());
    }
}
