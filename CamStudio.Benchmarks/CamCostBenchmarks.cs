using BenchmarkDotNet.Attributes;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Runtime;

namespace CamStudio.Benchmarks;

/// <summary>
/// What a map costs next to the plain forward pass it rides on (BenchmarkDotNet; Ratio is to the plain forward
/// of the same batch). On a busy machine, prefer <see cref="PairedCamCost"/>, which interleaves the operations.
/// </summary>
public abstract class CamCostBenchmarks
{
    private CamCostWorkload _workload = null!;

    protected abstract string Architecture { get; }

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Console.WriteLine($"// {Architecture}, batch {Batch}: {TorchRuntime.Describe()}");
        _workload = new CamCostWorkload(Architecture, Batch);
    }

    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();

    [Benchmark(Baseline = true, Description = CamCostWorkload.PlainForwardName)]
    public int PlainForward() => _workload.PlainForward();

    [Benchmark(Description = "forward + full backward")]
    public int ForwardFullBackward() => _workload.ForwardFullBackward();

    [Benchmark(Description = "cam")]
    public int Cam() => _workload.Explain(["cam"], ClassSelection.Top1);

    [Benchmark(Description = "gradcam")]
    public int GradCam() => _workload.Explain(["gradcam"], ClassSelection.Top1);

    [Benchmark(Description = "gradcam++")]
    public int GradCamPlusPlus() => _workload.Explain(["gradcam++"], ClassSelection.Top1);

    [Benchmark(Description = "xgradcam")]
    public int XGradCam() => _workload.Explain(["xgradcam"], ClassSelection.Top1);

    [Benchmark(Description = "hirescam")]
    public int HiResCam() => _workload.Explain(["hirescam"], ClassSelection.Top1);

    [Benchmark(Description = "layercam")]
    public int LayerCam() => _workload.Explain(["layercam"], ClassSelection.Top1);

    [Benchmark(Description = "eigencam")]
    public int EigenCam() => _workload.Explain(["eigencam"], ClassSelection.Top1);

    [Benchmark(Description = "5 gradient methods + eigencam, 1 class")]
    public int GradientMethodsAndEigenCam() => _workload["5 gradient methods + eigencam, 1 class"]();

    [Benchmark(Description = CamCostWorkload.AllOnePassName)]
    public int AllMethods() => _workload[CamCostWorkload.AllOnePassName]();

    [Benchmark(Description = "gradcam, top-3 classes")]
    public int GradCamTopThree() => _workload["gradcam, top-3 classes"]();
}

public class ResNet18CamCost : CamCostBenchmarks
{
    protected override string Architecture => "resnet18";
}

public class ResNet50CamCost : CamCostBenchmarks
{
    protected override string Architecture => "resnet50";
}
