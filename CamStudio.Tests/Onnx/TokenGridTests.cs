using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// Transformer layers as maps: token grids are recognised by shape (ViT/DeiT sequences with extra tokens first, Swin's
/// channels-last grids), every CAM method reads them as N×C×H×W, and Grad-CAM there equals a computation done by hand on
/// the raw tokens with ONNX Runtime (finite differences for the weights, the reshape written out in the test).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TokenGridTests
{
    private readonly ITestOutputHelper _output;

    public TokenGridTests(ITestOutputHelper output) => _output = output;

    private static string FixturePath(string name) => GeneratedModels.File(name);

    private static OnnxCamModel Load(string file) =>
        OnnxCamModel.Load(FixturePath(file), labels: null, PreprocessingSpec.ImageNet(), CPU, sizeFromModel: true);

    /// <summary>A smooth, irregular 1×3×32×32 "image" (no RNG).</summary>
    private static Tensor Image()
    {
        Tensor i = torch.arange(3 * 32 * 32, dtype: ScalarType.Float32).reshape(1, 3, 32, 32);
        return ((i * 0.0137f).sin() + (i * 0.00071f).cos() * 0.5f).mul(1.5f);
    }

    [Theory]
    [InlineData(new long[] { 1, 197, 768 }, 224, 224, TokenGridLayout.Tokens, 1, 14, 14)] // ViT-B/16: class token + 14×14
    [InlineData(new long[] { 1, 198, 768 }, 224, 224, TokenGridLayout.Tokens, 2, 14, 14)] // DeiT distilled: class + distillation
    [InlineData(new long[] { 1, 50, 768 }, 224, 224, TokenGridLayout.Tokens, 1, 7, 7)] // ViT-B/32
    [InlineData(new long[] { 1, 196, 384 }, 224, 224, TokenGridLayout.Tokens, 0, 14, 14)] // patches only
    [InlineData(new long[] { 1, 7, 7, 768 }, 224, 224, TokenGridLayout.ChannelsLast, 0, 7, 7)] // Swin-T's last stage
    [InlineData(new long[] { 1, 56, 56, 96 }, 224, 224, TokenGridLayout.ChannelsLast, 0, 56, 56)] // ConvNeXt block internals
    [InlineData(new long[] { 1, 8, 16, 64 }, 128, 256, TokenGridLayout.ChannelsLast, 0, 8, 16)] // a wide photo
    public void DetectFindsTheGridOfATransformerLayer(long[] shape, long height, long width, TokenGridLayout layout, int extra, long h, long w)
    {
        Assert.Equal(new TokenGrid(layout, extra, h, w), TokenGrid.Detect(shape, height, width));
    }

    [Theory]
    [InlineData(new long[] { 1, 2048, 7, 7 }, 224)] // a CNN map (channels first)
    [InlineData(new long[] { 1, 2048, 8, 8 }, 299)] // inception's, stride 37.4
    [InlineData(new long[] { 1, 12, 197, 197 }, 224)] // attention probabilities
    [InlineData(new long[] { 64, 49, 96 }, 224)] // Swin's windows (batch × windows)
    [InlineData(new long[] { 1, 768, 196 }, 224)] // patches before the transpose (channels × tokens)
    [InlineData(new long[] { 1, 768 }, 224)] // the class token
    [InlineData(new long[] { 1, 1000 }, 224)]
    public void DetectLeavesOtherTensorsAlone(long[] shape, long size)
    {
        Assert.Null(TokenGrid.Detect(shape, size, size));
    }

    [Theory]
    [InlineData("vit_tiny_opset17.onnx", "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0")]
    [InlineData("vit_tiny_opset12.onnx", "/encoder/layers/encoder_layer_1/ln_1/Add_1_output_0")]
    [InlineData("swin_tiny_opset17.onnx", "/features/features.3/features.3.1/norm1/LayerNormalization_output_0")]
    [InlineData("swin_tiny_opset14.onnx", "/features/features.3/features.3.1/norm1/Add_1_output_0")]
    [InlineData("swin_v2_tiny_opset17.onnx", "/features/features.3/features.3.1/norm1/LayerNormalization_output_0")]
    public void TheAutoLayerOfATransformerIsTheLastBlocksFirstNorm(string file, string expected)
    {
        using var scope = NewDisposeScope();
        using OnnxCamModel model = Load(file);
        Assert.Equal(expected, model.AutoLayer);
        Assert.NotNull(model.Layers.Single(l => l.Name == expected).Grid);
        Assert.Contains("last attention block", model.AutoLayerRule);
    }

    [Fact]
    public void TheAutoLayerOfAConvNeXtStaysTheMapBeforeGlobalPooling()
    {
        using var scope = NewDisposeScope();
        using OnnxCamModel model = Load("convnext_tiny_opset17.onnx");
        LayerInfo auto = model.Layers.Single(l => l.Name == model.AutoLayer);
        Assert.Null(auto.Grid);
        Assert.Equal([1L, 32, 4, 4], auto.Shape);
        // Its blocks' channels-last internals (permute → LayerNorm → Linear) are token grids all the same.
        Assert.Contains(model.Layers, l => l.Grid?.Layout == TokenGridLayout.ChannelsLast && l.Kind == "LayerNormalization");
    }

    [Theory]
    [InlineData("vit_tiny_opset17.onnx", "/encoder/layers/encoder_layer_1/ln_1/LayerNormalization_output_0")]
    [InlineData("vit_tiny_opset17.onnx", "/encoder/layers/encoder_layer_0/Add_1_output_0")]
    [InlineData("swin_tiny_opset17.onnx", "/features/features.3/features.3.1/norm1/LayerNormalization_output_0")]
    [InlineData("swin_tiny_opset17.onnx", "/features/features.1/features.1.1/norm1/LayerNormalization_output_0")]
    public void GradCamOnATokenGridEqualsTheHandReshapedOnnxRuntimeComputation(string file, string layer)
    {
        long before = LiveTensors.OnThisThread();
        using (NewDisposeScope())
            CompareGradCamWithHandMade(file, layer);
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    private void CompareGradCamWithHandMade(string file, string layer)
    {
        const int target = 3;
        byte[] bytes = File.ReadAllBytes(FixturePath(file));
        Tensor x = Image();

        // ONNX Runtime: the raw layer output A (1×L×C or 1×H×W×C) as an extra graph output, then each channel's
        // Grad-CAM weight — the patch-mean of ∂y/∂A — as one central difference along "channel c at every patch".
        Tensor raw = OnnxRuntimeReference.Run(WithOutput(bytes, layer), x, "input")[1];
        bool tokens = raw.dim() == 3;
        long channels = raw.shape[^1];
        long cells = tokens ? 16 : raw.shape[1] * raw.shape[2];
        long side = (long)Math.Sqrt(cells);
        long extra = tokens ? raw.shape[1] - cells : 0;
        byte[] cut = CutAt(bytes, layer);
        float Score(Tensor a) => OnnxRuntimeReference.Run(cut, ("input", x), (layer, a))[0][0, target].item<float>();
        var weights = new float[channels];
        const float epsilon = 1e-2f;
        for (long c = 0; c < channels; c++)
        {
            Tensor v = torch.zeros_like(raw);
            if (tokens)
                v[0, TensorIndex.Slice(extra), c] = torch.tensor(1f / cells);
            else
                v[0, TensorIndex.Colon, TensorIndex.Colon, c] = torch.tensor(1f / cells);
            weights[c] = (Score(raw + v * epsilon) - Score(raw - v * epsilon)) / (2 * epsilon);
        }
        // The reshape by hand: cell (i, j) is patch token extra + i·side + j, or grid position [i, j].
        var expected = new float[cells];
        float largest = 0;
        float[] a = raw.contiguous().data<float>().ToArray();
        for (long i = 0; i < side; i++)
        {
            for (long j = 0; j < side; j++)
            {
                long cell = i * side + j;
                long offset = tokens ? (extra + cell) * channels : (i * side + j) * channels;
                float sum = 0;
                for (long c = 0; c < channels; c++)
                    sum += weights[c] * a[offset + c];
                expected[cell] = Math.Max(sum, 0);
                largest = Math.Max(largest, Math.Abs(sum));
            }
        }

        using OnnxCamModel model = Load(file);
        PhotoExplanation explanation = CamExplainer.Explain(model, x, new ExplainRequest(["gradcam"], new ClassSelection.Indices([target]), layer)).Single();
        CamMap map = explanation.Maps.Single().Map;
        Assert.Equal((side, side), ((long)map.Width, (long)map.Height));
        _output.WriteLine($"{file} {layer}: hand-made Grad-CAM peaks at {expected.Max():E3} (before ReLU |·| ≤ {largest:E3}); " +
                          $"max |Δ| {expected.Zip(map.Raw).Max(p => Math.Abs(p.First - p.Second)):E2}");
        Assert.True(largest > 1e-6f, "the hand-made weighted sum is zero: a layer without gradient would test nothing");
        for (int k = 0; k < cells; k++)
            Assert.True(Math.Abs(expected[k] - map.Raw[k]) <= 0.02f * largest + 1e-6f, $"cell {k}: by hand {expected[k]}, CamStudio {map.Raw[k]}");
    }

    [Theory]
    [InlineData("vit_tiny_opset17.onnx")]
    [InlineData("swin_tiny_opset17.onnx")]
    public void ReplacingAGridChannelKeepsTheExtraTokensAndMatchesOnnxRuntime(string file)
    {
        using var scope = NewDisposeScope();
        byte[] bytes = File.ReadAllBytes(FixturePath(file));
        using OnnxCamModel model = Load(file);
        string layer = model.AutoLayer;
        Tensor x = Image();
        Tensor map;
        Tensor logits;
        using (ModelRun run = model.Run(x, layer, trackGradients: false))
        {
            map = run.Activation.clone();
            logits = run.Logits.clone();
        }
        // The map given back unchanged is the model itself (the inverse reshape is exact).
        OnnxRuntimeOperatorTests.AssertSame(logits, model.LogitsWithLayerOutput(x, layer, map), "logits with the layer's own map");

        // Channel 5 zeroed at every patch, as Ablation-CAM does; by hand on the raw tokens, the class token untouched.
        Tensor ablated = map.clone();
        ablated[TensorIndex.Colon, 5] = torch.tensor(0f);
        Tensor raw = OnnxRuntimeReference.Run(WithOutput(bytes, layer), x, "input")[1];
        Tensor handAblated = raw.clone();
        if (raw.dim() == 3)
            handAblated[0, TensorIndex.Slice(raw.shape[1] - 16), 5] = torch.tensor(0f);
        else
            handAblated[0, TensorIndex.Colon, TensorIndex.Colon, 5] = torch.tensor(0f);
        Tensor expected = OnnxRuntimeReference.Run(CutAt(bytes, layer), ("input", x), (layer, handAblated))[0];
        Tensor actual = model.LogitsWithLayerOutput(x, layer, ablated);
        Assert.True((expected - logits).abs().max().item<float>() > 1e-4f, "zeroing the channel changes nothing; the check would be empty");
        OnnxRuntimeOperatorTests.AssertSame(expected, actual, "logits with channel 5 ablated");
    }

    [Fact]
    public void EveryMapMethodExplainsAViTTokenGrid()
    {
        long before = LiveTensors.OnThisThread();
        using (NewDisposeScope())
            ExplainWithEveryMapMethod();
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    private static void ExplainWithEveryMapMethod()
    {
        using OnnxCamModel model = Load("vit_tiny_opset17.onnx");
        string[] methods = ["gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "eigencam", "scorecam", "ablationcam"];
        PhotoExplanation explanation = CamExplainer.Explain(model, Image(), new ExplainRequest(methods, new ClassSelection.TopK(1))).Single();
        foreach (string method in methods)
        {
            CamMap map = explanation.Maps.Single(m => m.Method == method).Map;
            Assert.Equal((4, 4), (map.Width, map.Height));
            Assert.All(map.Raw, v => Assert.True(float.IsFinite(v), $"{method}: {v}"));
            // Layer-CAM keeps only positive gradients times activations, and Score-CAM is the ReLU of a positive-weighted
            // sum of the channels: on a LayerNorm's signed output (random weights) either can be zero everywhere.
            // pytorch-grad-cam's Score-CAM is zero everywhere here too (ScoreCamTokenGridTests).
            if (method is not ("layercam" or "scorecam"))
                Assert.True(map.Max > map.Min, $"{method} gives a flat map on the token grid");
        }
    }

    [Fact]
    public void LayersReadAsScopeOperatorAndMapShape()
    {
        using var scope = NewDisposeScope();
        using OnnxCamModel model = Load("vit_tiny_opset17.onnx");
        LayerInfo norm = model.Layers.Single(l => l.Name == model.AutoLayer);
        Assert.Equal("encoder.layers.encoder_layer_1.ln_1", norm.Scope);
        Assert.Equal("encoder.layers.encoder_layer_1.ln_1 · layernorm · 32×4×4", norm.DisplayName);
        Assert.True(norm.Matches("ENCODER_LAYER_1.ln_1"));
        Assert.True(norm.Matches("LayerNormalization_output"));
        Assert.False(norm.Matches("mlp"));
    }

    [Theory]
    [InlineData("/layer4/layer4.2/relu_2/Relu", "layer4.2.relu_2")]
    [InlineData("/features/features.3/features.3.1/norm1/LayerNormalization", "features.3.1.norm1")]
    [InlineData("/encoder/layers/encoder_layer_11/ln_1/LayerNormalization", "encoder.layers.encoder_layer_11.ln_1")]
    [InlineData("/Concat_2", null)]
    [InlineData("Conv_12_quant", null)]
    public void ModulePathsComeFromTheExportersNodeNames(string node, string? expected)
    {
        Assert.Equal(expected is null ? null : expected, OnnxLayerScopes.ModulePath(node) is { Length: > 0 } p ? p : null);
    }

    /// <summary>The model with <paramref name="tensor"/> as a second graph output (ONNX Runtime then returns it).</summary>
    internal static byte[] WithOutput(byte[] bytes, string tensor)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(bytes);
        model.Graph.Output.Add(new ValueInfoProto
        {
            Name = tensor,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        return model.ToByteArray();
    }

    private static byte[] CutAt(byte[] bytes, string tensor) => OnnxGradientCheck.CutAt(bytes, tensor);
}
