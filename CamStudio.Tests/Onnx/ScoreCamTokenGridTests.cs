using System.Text.Json;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// Score-CAM on the tiny ViT's token grids equals pytorch-grad-cam's ScoreCAM with its ViT reshape transform on the same
/// weights (Onnx/Fixtures/scorecam-transformer-references.json, made by scripts/scorecam-transformer-references.py).
/// </summary>
/// <remarks>
/// Why the map at the last block's ln_1 is flat for the top class (3): Score-CAM is ReLU(Σ_k w_k A_k) with w = softmax of
/// the masked copies' scores, all positive; ln_1's channels are a LayerNorm's signed output (zero mean per token, random
/// weights), so the positive-weighted sum can be negative at every patch. pytorch-grad-cam gives exactly zero there too;
/// it is the method on this layer, not the align_corners = true masks (which pytorch-grad-cam's own upsampling uses).
/// </remarks>
[Collection(TorchCollection.Name)]
public sealed class ScoreCamTokenGridTests
{
    private readonly ITestOutputHelper _output;

    public ScoreCamTokenGridTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<int> References() => new() { 0, 1, 3, 4, 9, 10, 13, 19 };

    [Theory]
    [MemberData(nameof(References))]
    public void ScoreCamOnAVitTokenGridEqualsPytorchGradCamsIncludingWhereBothAreFlat(int index)
    {
        JsonElement root = JsonDocument.Parse(File.ReadAllText(
            Repository.File(Path.Combine("CamStudio.Tests", "Onnx", "Fixtures", "scorecam-transformer-references.json")))).RootElement;
        JsonElement reference = root.GetProperty("references")[index];
        string layer = reference.GetProperty("layer").GetString()!;
        int target = reference.GetProperty("class").GetInt32();
        float[] expected = reference.GetProperty("map").EnumerateArray().Select(v => v.GetSingle()).ToArray();

        using var scope = NewDisposeScope();
        using OnnxCamModel model = OnnxCamModel.Load(GeneratedModels.File(root.GetProperty("file").GetString()!), labels: null,
            PreprocessingSpec.ImageNet(), CPU, sizeFromModel: true);
        Tensor i = torch.arange(3 * 32 * 32, dtype: ScalarType.Float32).reshape(1, 3, 32, 32);
        Tensor x = ((i * 0.0137f).sin() + (i * 0.00071f).cos() * 0.5f).mul(1.5f);
        float[] actual = CamExplainer.Explain(model, x, new ExplainRequest(["scorecam"], new ClassSelection.Indices([target]), layer))
            .Single().Maps.Single().Map.Raw;

        double peak = expected.Max(Math.Abs);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        _output.WriteLine($"{layer} class {target}: pytorch-grad-cam peak {peak:E3}, ours {actual.Max():E3}, max |Δ| {worst:E2}");
        if (peak == 0)
        {
            // Flat in the reference: ReLU of a sum that is negative at every patch.
            Assert.All(actual, v => Assert.True(v == 0, $"pytorch-grad-cam's map is zero everywhere, ours has {v}"));
            return;
        }
        Assert.True(worst <= 1e-3 * peak + 1e-6, $"largest difference {worst:E2} against a peak of {peak:E2}");
    }
}
