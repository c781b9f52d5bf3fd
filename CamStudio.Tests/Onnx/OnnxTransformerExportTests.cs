using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// Tiny torchvision ViT, Swin (v1, v2), ConvNeXt and MaxViT configurations exported by torch.onnx (the fixtures made
/// by scripts/export-onnx-fixtures.py): CamStudio's logits must equal ONNX Runtime's at several batch sizes (dynamic
/// shape subgraphs), and the gradient of a logit w.r.t. an inner tensor — what Grad-CAM uses — must match central
/// finite differences computed by ONNX Runtime on the same graph with that tensor cut free of its producer.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class OnnxTransformerExportTests
{
    private readonly ITestOutputHelper _output;

    public OnnxTransformerExportTests(ITestOutputHelper output) => _output = output;

    private static byte[] Fixture(string name)
    {
        return File.ReadAllBytes(GeneratedModels.File(name));
    }

    /// <summary>A smooth, irregular N×3×32×32 "image" (no RNG), different per batch item.</summary>
    private static Tensor Image(long batch)
    {
        Tensor i = torch.arange(batch * 3 * 32 * 32, dtype: ScalarType.Float32).reshape(batch, 3, 32, 32);
        return ((i * 0.0137f).sin() + (i * 0.00071f).cos() * 0.5f).mul(1.5f);
    }

    [Theory]
    [InlineData("vit_tiny_opset17.onnx")]
    [InlineData("vit_tiny_opset12.onnx")]
    [InlineData("swin_tiny_opset17.onnx")]
    [InlineData("swin_tiny_opset14.onnx")]
    [InlineData("swin_v2_tiny_opset17.onnx")]
    [InlineData("convnext_tiny_opset17.onnx")]
    [InlineData("maxvit_tiny_opset17.onnx")]
    public void LogitsOfATinyTorchVisionExportEqualOnnxRuntimesAtEveryBatchSize(string file)
    {
        using var scope = NewDisposeScope();
        byte[] bytes = Fixture(file);
        using OnnxGraphModule module = OnnxGraphModule.Load(bytes, file, CPU);
        foreach (long batch in new long[] { 1, 3 })
        {
            Tensor x = Image(batch);
            Tensor expected = OnnxRuntimeReference.Run(bytes, x, "input")[0];
            Tensor actual;
            using (torch.no_grad())
                actual = module.call(x);
            float difference = (expected - actual).abs().max().item<float>();
            _output.WriteLine($"{file}, batch {batch}: logits up to {expected.abs().max().item<float>():F3}, max |Δ| vs ONNX Runtime {difference:E2}");
            OnnxRuntimeOperatorTests.AssertSame(expected, actual, $"{file} logits at batch {batch}");
        }
    }

    [Theory]
    [InlineData("vit_tiny_opset17.onnx", "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0")]
    [InlineData("vit_tiny_opset17.onnx", "/encoder/layers/encoder_layer_1/self_attention/Softmax_output_0")]
    [InlineData("vit_tiny_opset12.onnx", "/encoder/layers/encoder_layer_1/ln_1/Add_1_output_0")]
    [InlineData("swin_tiny_opset17.onnx", "/features/features.3/features.3.1/norm1/LayerNormalization_output_0")]
    [InlineData("swin_tiny_opset17.onnx", "/features/features.1/features.1.1/norm1/LayerNormalization_output_0")]
    [InlineData("convnext_tiny_opset17.onnx", "/features/features.3/features.3.0/block/block.2/LayerNormalization_output_0")]
    [InlineData("maxvit_tiny_opset17.onnx", "/blocks.1/layers.0/layers/grid_attention/mlp_layer/mlp_layer.0/LayerNormalization_output_0")]
    public void GradientOfALogitWithRespectToAnInnerTensorMatchesOnnxRuntimeFiniteDifferences(string file, string tensor)
    {
        using var scope = NewDisposeScope();
        byte[] bytes = Fixture(file);
        using OnnxGraphModule module = OnnxGraphModule.Load(bytes, file, CPU);
        Tensor x = Image(2);
        OnnxGradientCheck.AutogradMatchesOnnxRuntimeFiniteDifferences(bytes, module, "input", x, tensor, target: 3, _output);
    }
}
