using System.Diagnostics;
using System.Globalization;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// Imported transformer exports (ViT-B/16, Swin-T with random weights, made by <c>scripts/export-onnx-fixtures.py --full</c>):
/// forward and Grad-CAM at the auto layer, ms per image (batch 1), minimum and median over rounds. With <c>--pytorch</c> the
/// same models run in Debian's PyTorch (<c>scripts/bench-transformers.py --serve</c>, pytorch-grad-cam's GradCAM with its
/// reshape transform) in a second process with the same thread count, round by round in turn with ours, so both sides
/// see the same machine load; the ratio is of medians.
/// </summary>
/// <remarks>Usage: <c>CamStudio.Benchmarks --transformers DIR [--models vit_b_16_opset17,swin_t_opset17] [--rounds 7] [--threads 1] [--pytorch] [--profile]</c>.</remarks>
public static class TransformerTiming
{
    public static int Run(string[] args)
    {
        string folder = args.SkipWhile(a => a != "--transformers").Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal))
            ?? Path.Combine("artifacts", "full-exports");
        string[] models = Option(args, "--models", "vit_b_16_opset17,swin_t_opset17").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int rounds = int.Parse(Option(args, "--rounds", "7"), CultureInfo.InvariantCulture);
        int threads = int.Parse(Option(args, "--threads", "1"), CultureInfo.InvariantCulture);
        torch.set_num_threads(threads);
        using PyTorchPartner? pytorch = args.Contains("--pytorch") ? PyTorchPartner.Start(threads) : null;
        Console.WriteLine($"uptime at start: {Uptime()}");
        var gradCam = new ExplainRequest(["gradcam"], ClassSelection.Top1);
        foreach (string name in models)
        {
            string path = Path.Combine(folder, name + ".onnx");
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path} is missing; make it with scripts/export-onnx-fixtures.py --full {folder}.");
            // With --without-shape-memo / --without-fusion / --unoptimised (both off), the same file imported that way runs beside it, round by round.
            var variants = new List<(string Label, OnnxCamModel Model)>
            {
                ("CamStudio", OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU, sizeFromModel: true)),
            };
            if (args.Contains("--without-shape-memo"))
                variants.Add(("no memo  ", OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU, options: new OnnxImportOptions { ReuseShapeArithmetic = false }, sizeFromModel: true)));
            if (args.Contains("--without-fusion"))
                variants.Add(("no fusion", OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU, options: new OnnxImportOptions { Fuse = false }, sizeFromModel: true)));
            if (args.Contains("--unoptimised"))
                variants.Add(("neither  ", OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU, options: new OnnxImportOptions { ReuseShapeArithmetic = false, Fuse = false }, sizeFromModel: true)));
            OnnxCamModel model = variants[0].Model;
            int size = model.Preprocessing.InputHeight;
            using Tensor x = torch.linspace(-2, 2, 3L * size * size).mul(5.3).sin().reshape(1, 3, size, size);
            var times = variants.Select(_ => (Forward: new List<double>(), Cam: new List<double>(), ForwardCpu: new List<double>(), CamCpu: new List<double>())).ToArray();
            var theirs = new List<double[]>();
            for (int round = -2; round < rounds; round++)
            {
                for (int v = 0; v < variants.Count; v++)
                {
                    // Wall-clock and this process's CPU time (on a loaded machine the CPU time is the steadier figure).
                    long t0 = Stopwatch.GetTimestamp();
                    TimeSpan c0 = CpuTime();
                    using (NewDisposeScope())
                    using (ModelRun run = variants[v].Model.Run(x, variants[v].Model.AutoLayer, trackGradients: false))
                    {
                    }
                    long t1 = Stopwatch.GetTimestamp();
                    TimeSpan c1 = CpuTime();
                    using (NewDisposeScope())
                        CamExplainer.Explain(variants[v].Model, x, gradCam);
                    long t2 = Stopwatch.GetTimestamp();
                    TimeSpan c2 = CpuTime();
                    if (round < 0)
                        continue;
                    times[v].Forward.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    times[v].Cam.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                    times[v].ForwardCpu.Add((c1 - c0).TotalMilliseconds);
                    times[v].CamCpu.Add((c2 - c1).TotalMilliseconds);
                }
                double[]? their = pytorch?.Round(name);
                if (round >= 0 && their is not null)
                    theirs.Add(their);
            }
            if (args.Contains("--profile"))
                Profile(model, x);
            Console.WriteLine($"{name} ({size}×{size}, auto layer {model.AutoLayer}, {model.Graph.ShapeArithmeticNodes} of {model.Graph.Nodes.Count} nodes shape arithmetic), {rounds} rounds, {torch.get_num_threads()} thread(s):");
            for (int v = 0; v < variants.Count; v++)
            {
                var (forward, cam, forwardCpu, camCpu) = times[v];
                Console.WriteLine($"  {variants[v].Label} wall: forward min {forward.Min():F1} ms, median {Median(forward):F1} ms; Grad-CAM min {cam.Min():F1} ms, median {Median(cam):F1} ms");
                Console.WriteLine($"  {variants[v].Label} CPU:  forward median {Median(forwardCpu):F1} ms; Grad-CAM median {Median(camCpu):F1} ms");
            }
            if (theirs.Count > 0)
            {
                var (forward, cam, forwardCpu, camCpu) = times[0];
                List<double> Column(int i) => theirs.Select(t => t[i]).ToList();
                Console.WriteLine($"  PyTorch   wall: forward min {Column(0).Min():F1} ms, median {Median(Column(0)):F1} ms; pytorch-grad-cam Grad-CAM min {Column(1).Min():F1} ms, median {Median(Column(1)):F1} ms");
                Console.WriteLine($"  PyTorch   CPU:  forward median {Median(Column(2)):F1} ms; Grad-CAM median {Median(Column(3)):F1} ms");
                Console.WriteLine($"  ratio ours/PyTorch (medians): wall forward {Median(forward) / Median(Column(0)):F2}×, Grad-CAM {Median(cam) / Median(Column(1)):F2}×; " +
                                  $"CPU forward {Median(forwardCpu) / Median(Column(2)):F2}×, Grad-CAM {Median(camCpu) / Median(Column(3)):F2}×");
            }
            foreach (var (_, loaded) in variants)
                loaded.Dispose();
        }
        Console.WriteLine($"uptime at end: {Uptime()}");
        return 0;
    }

    /// <summary>Where the import's forward spends its time: ms per ONNX op type over three runs (the time from one node's output to the next).</summary>
    private static void Profile(OnnxCamModel model, Tensor x)
    {
        var opOf = model.Graph.TensorsInOrder.GroupBy(t => t.Tensor).ToDictionary(g => g.Key, g => g.First().OpType);
        var total = new Dictionary<string, (double Ms, int Count)>();
        const int runs = 3;
        for (int run = 0; run < runs; run++)
        {
            using var scope = NewDisposeScope();
            using IDisposable noGrad = torch.no_grad();
            long last = Stopwatch.GetTimestamp();
            using GraphRun graphRun = model.Graph.Execute(x, capture: null, gradientsFromCapture: false, observe: (tensor, _) =>
            {
                long now = Stopwatch.GetTimestamp();
                string op = opOf.GetValueOrDefault(tensor, "?");
                (double ms, int count) = total.GetValueOrDefault(op);
                total[op] = (ms + Stopwatch.GetElapsedTime(last, now).TotalMilliseconds / runs, count + 1);
                last = now;
            });
        }
        double sum = total.Values.Sum(v => v.Ms);
        Console.WriteLine($"  profile ({sum:F1} ms per forward):");
        foreach ((string op, (double ms, int count)) in total.OrderByDescending(p => p.Value.Ms).Take(12))
            Console.WriteLine($"    {op,-20} {ms,8:F1} ms {100 * ms / sum,5:F1} %  ({count / runs} outputs)");
    }

    private static TimeSpan CpuTime()
    {
        using Process self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static string Uptime()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Trim() + " (load averages 1/5/15 min, running/total, last pid)";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>scripts/bench-transformers.py --serve: one PyTorch round per request, answered as "forward_ms gradcam_ms".</summary>
    private sealed class PyTorchPartner : IDisposable
    {
        private readonly Process _process;

        private PyTorchPartner(Process process) => _process = process;

        public static PyTorchPartner Start(int threads)
        {
            string root = Directory.GetCurrentDirectory();
            string shared = Environment.GetEnvironmentVariable("CAMSTUDIO_SHARED") ?? Path.Combine(root, "..", "shared");
            var start = new ProcessStartInfo("/usr/bin/python3", ["scripts/bench-transformers.py", "--serve", threads.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            start.Environment["PYTHONPATH"] = string.Join(':', Path.Combine(shared, "anchors", "pytorch-grad-cam"), Path.Combine(shared, "anchors", "ttach"));
            // torch.set_num_threads does not reach OpenBLAS's own pool: without this its GEMMs use every core.
            start.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
            Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start scripts/bench-transformers.py.");
            string ready = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("scripts/bench-transformers.py exited before it was ready.");
            Console.WriteLine($"PyTorch partner: {ready}");
            return new PyTorchPartner(process);
        }

        /// <summary>Forward and Grad-CAM ms, wall-clock then CPU time.</summary>
        public double[] Round(string model)
        {
            _process.StandardInput.WriteLine(model);
            _process.StandardInput.Flush();
            string line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("scripts/bench-transformers.py stopped answering.");
            return line.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        }

        public void Dispose()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
                _process.Kill();
            _process.Dispose();
        }
    }
}
