using System.Text.Json;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// Grad-CAM on transformer token grids agrees with pytorch-grad-cam's GradCAM and its reshape transform on the same weights:
/// the references (Onnx/Fixtures/gradcam-transformer-references.json) were made by scripts/gradcam-transformer-references.py
/// from the torchvision models the ONNX fixtures were exported from, at the layer pytorch-grad-cam's README advises.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TokenGridAgreementTests
{
    private readonly ITestOutputHelper _output;

    public TokenGridAgreementTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<int> References() => new() { 0, 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(References))]
    public void GradCamOnATokenGridAgreesWithPytorchGradCamsReshapeTransform(int index)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Onnx", "Fixtures");
        string json = Path.Combine(folder, "gradcam-transformer-references.json");
        Assert.True(File.Exists(json), $"{json} is missing (scripts/gradcam-transformer-references.py makes it)");
        JsonElement[] references = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("references").EnumerateArray().ToArray();
        Assert.Equal(5, references.Length);
        JsonElement reference = references[index];
        string file = reference.GetProperty("file").GetString()!;
        string layer = reference.GetProperty("layer").GetString()!;
        int target = reference.GetProperty("class").GetInt32();
        int side = reference.GetProperty("side").GetInt32();
        float[] expected = reference.GetProperty("map").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        float[] pytorchLogits = reference.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();

        using var scope = NewDisposeScope();
        using OnnxCamModel model = OnnxCamModel.Load(GeneratedModels.File(file), labels: null, PreprocessingSpec.ImageNet(), CPU, sizeFromModel: true);
        Tensor i = torch.arange(3 * 32 * 32, dtype: ScalarType.Float32).reshape(1, 3, 32, 32);
        Tensor x = ((i * 0.0137f).sin() + (i * 0.00071f).cos() * 0.5f).mul(1.5f);
        PhotoExplanation explanation = CamExplainer.Explain(model, x, new ExplainRequest(["gradcam"], new ClassSelection.Indices([target]), layer)).Single();

        // Same weights: the import's logits are PyTorch's (else the maps would be compared across different models).
        using (ModelRun run = model.Run(x, layer, trackGradients: false))
            OnnxRuntimeOperatorTests.AssertSame(torch.tensor(pytorchLogits).reshape(1, -1), run.Logits, $"{file} logits vs PyTorch");
        CamMap map = explanation.Maps.Single().Map;
        Assert.Equal((side, side), (map.Width, map.Height));
        double r = Pearson(expected, map.Raw);
        _output.WriteLine($"{file} {reference.GetProperty("module").GetString()} ({side}×{side}): Pearson r = {r:F5} vs pytorch-grad-cam");
        Assert.True(r >= 0.99, $"{file} at {layer}: Pearson r = {r:F4} with pytorch-grad-cam's map");
    }

    private static double Pearson(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average();
        double cov = a.Zip(b).Sum(p => (p.First - ma) * (p.Second - mb));
        double va = a.Sum(v => (v - ma) * (v - ma)), vb = b.Sum(v => (v - mb) * (v - mb));
        Assert.True(va > 0 && vb > 0, "a flat map has no correlation to check");
        return cov / Math.Sqrt(va * vb);
    }
}
