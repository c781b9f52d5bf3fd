using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CamStudio.Benchmarks;

if (args.Contains("--transformers"))
    return TransformerTiming.Run(args);
if (args.Contains("--metrics"))
    return MetricCost.Run(args);
if (args.Contains("--paired"))
    return PairedCamCost.Run(args);
if (args.Contains("--anchors"))
    return AnchorComparison.Run(args);
if (args.Contains("--explain-breakdown"))
    return ExplainBreakdown.Run(args);
if (args.Contains("--gemm"))
    return GemmProbe.Run(args);
if (args.Contains("--probe"))
    return ForwardProbe.Run(args);
if (args.Contains("--cluster"))
    return ClusterThroughput.Run(args);

// In process: BenchmarkDotNet's out-of-process build does not get the native TorchSharp patch, so libtorch fails
// to load there. Few iterations: one forward pass takes tens to hundreds of milliseconds on two cores.
// On a busy machine prefer --paired (see PairedCamCost and RESULTS.md).
IConfig config = DefaultConfig.Instance
    .AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(2)
        .WithIterationCount(5)
        .AsDefault())
    .AddColumn(new MsPerImageColumn());

BenchmarkSwitcher.FromAssembly(typeof(MsPerImageColumn).Assembly).Run(args, config);
return 0;
