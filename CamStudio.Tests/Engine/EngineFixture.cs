using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Onnx;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static CamStudio.Tests.Onnx.OnnxGraphBuilder;
using static TorchSharp.torch;

namespace CamStudio.Tests.Engine;

/// <summary>
/// One <see cref="CamEngine"/> over its own torch thread with a model of every kind: TorchSharp modules ("tiny": GAP +
/// linear; "tiny-twohead": no CAM head; "tiny-noreplace": the same without layer-output replacement), a float ONNX
/// graph ("float-onnx"), a TorchVision resnet18 at 64×64 ("resnet18-64"), a tiny ViT export ("vit-tiny") and the shared int8 MobileNetV2 from the catalog ("mobilenetv2").
/// </summary>
public sealed class EngineFixture : IDisposable
{
    public const string Tiny = "tiny", TinyTwoHead = "tiny-twohead", TinyNoReplace = "tiny-noreplace", FloatOnnx = "float-onnx",
        TorchVision = "resnet18-64", VitTiny = "vit-tiny", Default = ModelCatalog.DefaultModelName;

    private readonly string _folder = Directory.CreateTempSubdirectory("camstudio-engine-").FullName;

    public EngineFixture()
    {
        Executor = new TorchExecutor();
        Models = new LoadedModels(Executor, new ModelCatalog(TestModels.Directory));
        Engine = new CamEngine(Executor, Models);
        string onnx = Path.Combine(_folder, "float.onnx");
        File.WriteAllBytes(onnx, FloatClassifier().Bytes());
        Executor.RunAsync(_ =>
        {
            Engine.AddModel(Tiny, TinyCnn.GapLinear());
            Engine.AddModel(TinyTwoHead, TinyCnn.TwoLayerHead());
            Engine.AddModel(TinyNoReplace, new WithoutReplacement(TinyCnn.GapLinear()));
            Engine.AddModel(FloatOnnx, OnnxCamModel.Load(onnx, null, PreprocessingSpec.ImageNet(), CPU));
            // A TorchVision architecture (random weights) at 64×64, small enough to run every method on it.
            manual_seed(12);
            Engine.AddModel(TorchVision, TorchVisionModels.CreateCamModel("resnet18", preprocessing: PreprocessingSpec.ImageNet(64), device: CPU, name: TorchVision));
            // A tiny torchvision ViT exported to ONNX (scripts/make-test-models.sh): token grids and LeGrad's attention blocks.
            Engine.AddModel(VitTiny, OnnxCamModel.Load(GeneratedModels.File("vit_tiny_opset17.onnx"), null, PreprocessingSpec.ImageNet(), CPU, name: VitTiny, sizeFromModel: true));
        }).GetAwaiter().GetResult();
    }

    public TorchExecutor Executor { get; }

    public LoadedModels Models { get; }

    public CamEngine Engine { get; }

    /// <summary>A shared photo, decoded.</summary>
    public static Image<Rgb24> Photo(string name) => Image.Load<Rgb24>(SharedResources.Image(name));

    /// <summary>x → Conv (6 filters 32×32, stride 32) → "conv" → Relu → "features" → GAP → Flatten → Gemm → 5 logits.</summary>
    private static OnnxGraphBuilder FloatClassifier()
    {
        static float[] Ramp(int n, float scale) => Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.91f + 0.2f) * scale).ToArray();
        return new OnnxGraphBuilder(opset: 13, inputShape: [-1, 3, 224, 224])
            .Float("conv.w", Ramp(6 * 3 * 32 * 32, 0.01f), 6, 3, 32, 32).Float("conv.b", Ramp(6, 0.1f), 6)
            .Float("fc.w", Ramp(5 * 6, 1f), 5, 6).Float("fc.b", Ramp(5, 0.5f), 5)
            .Node("Conv", ["x", "conv.w", "conv.b"], "conv", Ints("strides", 32, 32))
            .Node("Relu", ["conv"], "features")
            .Node("GlobalAveragePool", ["features"], "pooled")
            .Node("Flatten", ["pooled"], "flat")
            .Node("Gemm", ["flat", "fc.w", "fc.b"], "logits", Int("transB", 1));
    }

    public void Dispose()
    {
        Engine.Dispose();
        Models.Dispose();
        Executor.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A module model that says it cannot replace a layer's output (as a model without that capability would).</summary>
    private sealed class WithoutReplacement(ICamModel inner) : ICamModel
    {
        public string Name => "tiny-noreplace";
        public PreprocessingSpec Preprocessing => inner.Preprocessing;
        public IReadOnlyList<string> Labels => inner.Labels;
        public Device Device => inner.Device;
        public IReadOnlyList<LayerInfo> Layers => inner.Layers;
        public string AutoLayer => inner.AutoLayer;
        public ModelCapabilities Capabilities => ModelCapabilities.Gradients;
        public LinearHead? HeadAfter(string layer) => inner.HeadAfter(layer);
        public ModelRun Run(Tensor input, string layer, bool trackGradients) => inner.Run(input, layer, trackGradients);
        public void Dispose() => inner.Dispose();
    }
}
