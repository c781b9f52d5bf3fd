using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CamStudio.Benchmarks;

if (args.Contains("--paired"))
    return PairedCamCost.Run(args);

// In process (the native TorchSharp patch lives in this build's output) and few iterations: a torch forward
// pass is long and steady, and the machine may have only two cores.
IConfig config = DefaultConfig.Instance
    .AddJob(Job.Default
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1)
        .WithWarmupCount(2)
        .WithIterationCount(5)
        .AsDefault())
    .AddColumn(new MsPerImageColumn());

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;
