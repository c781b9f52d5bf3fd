using BenchmarkDotNet.Attributes;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// What a map costs next to the plain forward pass it rides on: each method for one class, all six gradient
/// methods together, three classes, and, for scale, a forward pass with a full backward (all parameters).
/// Random weights: the cost does not depend on the values. Ratio is to <see cref="PlainForward"/> of the same batch.
/// </summary>
public abstract class CamCostBenchmarks
{
    private static readonly string[] GradientMethods = ["gradcam", "gradcam++", "xgradcam", "hirescam", "layercam"];

    private ModuleCamModel _model = null!;
    private nn.Module<Tensor, Tensor> _trainable = null!;
    private Tensor _input = null!;

    protected abstract string Architecture { get; }

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Device device = TorchRuntime.DefaultDevice;
        Console.WriteLine($"// {Architecture}, batch {Batch}: {TorchRuntime.Describe(device)}");
        _model = TorchVisionModels.CreateCamModel(Architecture, preprocessing: PreprocessingSpec.ImageNet(224), device: device);
        _trainable = TorchVisionModels.Create(Architecture, device: device);
        foreach (var parameter in _trainable.parameters())
            parameter.requires_grad = true;
        torch.manual_seed(1);
        _input = torch.randn([Batch, 3, 224, 224], device: device);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _trainable.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, Description = "plain forward (no grad)")]
    public float PlainForward()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return _model.Module.call(_input)[0, 0].item<float>();
    }

    [Benchmark(Description = "forward + full backward")]
    public float ForwardFullBackward()
    {
        using var scope = torch.NewDisposeScope();
        Tensor logits = _trainable.call(_input);
        logits[.., 0].sum().backward();
        _trainable.zero_grad();
        return logits[0, 0].item<float>();
    }

    [Benchmark(Description = "cam")]
    public int Cam() => Explain(["cam"], ClassSelection.Top1);

    [Benchmark(Description = "gradcam")]
    public int GradCam() => Explain(["gradcam"], ClassSelection.Top1);

    [Benchmark(Description = "gradcam++")]
    public int GradCamPlusPlus() => Explain(["gradcam++"], ClassSelection.Top1);

    [Benchmark(Description = "xgradcam")]
    public int XGradCam() => Explain(["xgradcam"], ClassSelection.Top1);

    [Benchmark(Description = "hirescam")]
    public int HiResCam() => Explain(["hirescam"], ClassSelection.Top1);

    [Benchmark(Description = "layercam")]
    public int LayerCam() => Explain(["layercam"], ClassSelection.Top1);

    [Benchmark(Description = "eigencam")]
    public int EigenCam() => Explain(["eigencam"], ClassSelection.Top1);

    [Benchmark(Description = "5 gradient methods + eigencam, 1 class")]
    public int GradientMethodsAndEigenCam() => Explain([.. GradientMethods, "eigencam"], ClassSelection.Top1);

    [Benchmark(Description = "all 7 methods, 1 class")]
    public int AllMethods() => Explain([.. CamMethods.Ids], ClassSelection.Top1);

    [Benchmark(Description = "gradcam, top-3 classes")]
    public int GradCamTopThree() => Explain(["gradcam"], new ClassSelection.TopK(3));

    private int Explain(string[] methods, ClassSelection classes) =>
        CamExplainer.Explain(_model, _input, new ExplainRequest(methods, classes)).Sum(e => e.Maps.Count);
}

public class ResNet18CamCost : CamCostBenchmarks
{
    protected override string Architecture => "resnet18";
}

public class ResNet50CamCost : CamCostBenchmarks
{
    protected override string Architecture => "resnet50";
}
