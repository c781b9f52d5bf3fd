using BenchmarkDotNet.Attributes;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// The imported int8 MobileNetV2 (run in float32 by <see cref="OnnxCamModel"/>) against TorchVision's own mobilenet_v2
/// architecture holding the same dequantised weights (<see cref="ModuleCamModel"/>): forward, and Grad-CAM through
/// <see cref="CamExplainer"/> (forward with gradients from the auto layer, one partial backward, the map), per batch.
/// Divide by <see cref="Batch"/> for ms per image. Needs ../shared (or CAMSTUDIO_SHARED) with the shared model.
/// Run: <c>scripts/bench.sh --filter '*OnnxBenchmarks*'</c> (in process, as Program.cs configures).
/// </summary>
[MemoryDiagnoser(false)]
public class OnnxBenchmarks
{
    private static readonly ExplainRequest GradCamTop1 = new(["gradcam"], ClassSelection.Top1);

    private OnnxCamModel _onnx = null!;
    private ModuleCamModel _torchVision = null!;
    private Tensor _batch = null!;

    [Params(1, 8)]
    public int Batch { get; set; }

    /// <summary>
    /// libtorch intra-op threads. 1 by default: on the shared 2-core machine, OpenMP threads spinning at barriers while
    /// other processes hold the cores made 2-thread timings ~10× slower and meaningless; set CAMSTUDIO_BENCH_THREADS to
    /// compare with more threads on a quiet machine.
    /// </summary>
    public static int Threads => int.TryParse(Environment.GetEnvironmentVariable("CAMSTUDIO_BENCH_THREADS"), out int n) && n > 0 ? n : 1;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        string model = SharedModelPath();
        _onnx = OnnxCamModel.Load(model, null, PreprocessingSpec.ImageNet(), CPU, "mobilenetv2-int8");
        _torchVision = new ModuleCamModel("mobilenet_v2", SameWeightsMobileNetV2(model), PreprocessingSpec.ImageNet(), CPU);
        // A smooth synthetic batch: speed does not depend on the pixels.
        _batch = torch.linspace(-2, 2, Batch * 3L * 224 * 224).mul(5.3).sin().reshape(Batch, 3, 224, 224).DetachFromDisposeScope();

        // Same weights, same function: refuse to time two different networks.
        using ModelRun a = _onnx.Run(_batch, _onnx.AutoLayer, trackGradients: false);
        using ModelRun b = _torchVision.Run(_batch, _torchVision.AutoLayer, trackGradients: false);
        using Tensor difference = (a.Logits - b.Logits).abs().max();
        Console.WriteLine($"// ONNX auto layer {_onnx.AutoLayer}, TorchVision auto layer {_torchVision.AutoLayer}, max |Δlogit| {difference.item<float>():G3}");
        if (difference.item<float>() > 1e-3f)
            throw new InvalidOperationException($"The two models disagree (max |Δlogit| {difference.item<float>()}).");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _onnx.Dispose();
        _torchVision.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ONNX import: forward")]
    public void OnnxForward()
    {
        using ModelRun run = _onnx.Run(_batch, _onnx.AutoLayer, trackGradients: false);
    }

    [Benchmark(Description = "ONNX import: Grad-CAM")]
    public IReadOnlyList<PhotoExplanation> OnnxGradCam() => CamExplainer.Explain(_onnx, _batch, GradCamTop1);

    [Benchmark(Description = "TorchVision mobilenet_v2: forward")]
    public void TorchVisionForward()
    {
        using ModelRun run = _torchVision.Run(_batch, _torchVision.AutoLayer, trackGradients: false);
    }

    [Benchmark(Description = "TorchVision mobilenet_v2: Grad-CAM")]
    public IReadOnlyList<PhotoExplanation> TorchVisionGradCam() => CamExplainer.Explain(_torchVision, _batch, GradCamTop1);

    private static string SharedModelPath()
    {
        const string relative = "models/mobilenetv2-12-int8.onnx";
        string? fromEnv = Environment.GetEnvironmentVariable("CAMSTUDIO_SHARED");
        if (!string.IsNullOrEmpty(fromEnv))
            return Path.Combine(fromEnv, relative);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", relative);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"No shared/{relative} above {AppContext.BaseDirectory}; set CAMSTUDIO_SHARED.");
    }

    /// <summary>
    /// torchvision's mobilenet_v2 with the ONNX file's weights, dequantised ((q − z)·s per output channel, int32 bias ·
    /// x_scale·w_scale); batch norm is folded in the file, so each BatchNorm2d becomes identity + the folded bias.
    /// </summary>
    private static nn.Module<Tensor, Tensor> SameWeightsMobileNetV2(string path)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var init = model.Graph.Initializer.ToDictionary(t => t.Name);
        var convs = model.Graph.Node.Where(n => n.OpType == "QLinearConv").ToList();
        var net = torchvision.models.mobilenet_v2(num_classes: 1000);
        var modules = net.named_modules().OrderBy(m => m.name, ModulePathOrder).ToList();
        var convModules = modules.Where(m => m.module is Conv2d).Select(m => (Conv2d)m.module).ToList();
        var bnModules = modules.Where(m => m.module is BatchNorm2d).Select(m => (BatchNorm2d)m.module).ToList();
        using (torch.no_grad())
        {
            for (int i = 0; i < convs.Count; i++)
            {
                NodeProto node = convs[i];
                using var scope = NewDisposeScope();
                Tensor scale = Values(init[node.Input[4]]);
                Tensor w = (Values(init[node.Input[3]]).reshape(convModules[i].weight!.shape) - Values(init[node.Input[5]]).reshape(-1, 1, 1, 1)) * scale.reshape(-1, 1, 1, 1);
                convModules[i].weight!.copy_(w);
                bnModules[i].weight!.fill_(1);
                bnModules[i].bias!.copy_(Values(init[node.Input[8]]) * Values(init[node.Input[1]]) * scale);
                bnModules[i].running_mean!.zero_();
                bnModules[i].running_var!.fill_(1 - bnModules[i].eps);
            }
            NodeProto matmul = model.Graph.Node.Single(n => n.OpType == "QLinearMatMul");
            NodeProto add = model.Graph.Node.Single(n => n.OpType == "QLinearAdd" && n.Input[0] == matmul.Output[0]);
            using var head = NewDisposeScope();
            var linear = (Linear)modules.Single(m => m.name == "classifier.1").module;
            Tensor weight = (Values(init[matmul.Input[3]]).reshape(1280, 1000) - Values(init[matmul.Input[5]])) * Values(init[matmul.Input[4]]);
            linear.weight!.copy_(weight.t());
            linear.bias!.copy_((Values(init[add.Input[3]]) - Values(init[add.Input[5]])) * Values(init[add.Input[4]]));
        }
        return net;
    }

    private static Tensor Values(TensorProto t)
    {
        byte[] raw = t.RawData.ToByteArray();
        float[] values = (TensorProto.Types.DataType)t.DataType switch
        {
            _ when raw.Length == 0 && t.Int32Data.Count > 0 => t.Int32Data.Select(v => (float)v).ToArray(),
            _ when raw.Length == 0 => t.FloatData.ToArray(),
            TensorProto.Types.DataType.Int8 => raw.Select(b => (float)(sbyte)b).ToArray(),
            TensorProto.Types.DataType.Uint8 => raw.Select(b => (float)b).ToArray(),
            TensorProto.Types.DataType.Int32 => Enumerable.Range(0, raw.Length / 4).Select(i => (float)BitConverter.ToInt32(raw, 4 * i)).ToArray(),
            _ => Enumerable.Range(0, raw.Length / 4).Select(i => BitConverter.ToSingle(raw, 4 * i)).ToArray(),
        };
        return torch.tensor(values);
    }

    private static readonly Comparer<string> ModulePathOrder = Comparer<string>.Create((a, b) =>
    {
        string[] x = a.Split('.'), y = b.Split('.');
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            int c = int.TryParse(x[i], out int xi) && int.TryParse(y[i], out int yi) ? xi.CompareTo(yi) : string.CompareOrdinal(x[i], y[i]);
            if (c != 0)
                return c;
        }
        return x.Length.CompareTo(y.Length);
    });
}
