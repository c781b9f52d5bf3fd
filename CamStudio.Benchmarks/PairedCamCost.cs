using System.Diagnostics;
using System.Globalization;
using System.Text;
using CamStudio.Engine.Runtime;

namespace CamStudio.Benchmarks;

/// <summary>
/// Cost ratios that survive a busy machine: every round runs the plain forward and each operation back to
/// back in a shuffled order, and a ratio is taken within the round, so load that comes and goes hits both
/// sides of a ratio alike. Reports medians over the rounds.
/// </summary>
/// <remarks>
/// Usage: <c>CamStudio.Benchmarks --paired [--models resnet18,resnet50] [--batches 1,8] [--rounds 7] [--threads N] [--ops gradcam,eigencam] [--out DIR]</c>
/// (<c>--ops</c> keeps the plain forward and the operations whose names contain one of the words).
/// </remarks>
public static class PairedCamCost
{
    public static int Run(string[] args)
    {
        string[] models = Option(args, "--models", "resnet18,resnet50").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int[] batches = Option(args, "--batches", "1,8").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        int rounds = int.Parse(Option(args, "--rounds", "7"), CultureInfo.InvariantCulture);
        string[] only = Option(args, "--ops", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        string outDirectory = Option(args, "--out", Path.Combine("artifacts", "bench"));
        string threads = Option(args, "--threads", "");
        if (threads.Length > 0)
            Environment.SetEnvironmentVariable(CamCostWorkload.ThreadsVariable, threads);
        Directory.CreateDirectory(outDirectory);

        var report = new StringBuilder();
        report.AppendLine($"# Paired CAM cost ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        report.AppendLine();
        report.AppendLine($"{TorchRuntime.Describe()}; {Environment.ProcessorCount} logical cores; load average at start: {LoadAverage()}.");
        report.AppendLine($"Each round runs every operation once in a shuffled order; {rounds} rounds after 2 warm-up rounds. " +
                          "ratio = median over rounds of (operation / plain forward in the same round); " +
                          "ratio of medians = median time / median plain-forward time; " +
                          "ratio of minima = fastest operation run / fastest plain forward (contention only ever adds time, so minima are the least disturbed).");
        report.AppendLine();
        report.AppendLine("| model | batch | operation | median ms/image | min ms/image | median ratio | ratio of medians | ratio of minima | ratio range |");
        report.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---|");

        foreach (string model in models)
        {
            foreach (int batch in batches)
            {
                Console.WriteLine($"// {model}, batch {batch} ...");
                using var workload = new CamCostWorkload(model, batch);
                if (report.Length > 0 && !report.ToString().Contains("Torch threads:"))
                    report.Insert(report.ToString().IndexOf("| model", StringComparison.Ordinal), $"Torch threads: {TorchSharp.torch.get_num_threads()}.{Environment.NewLine}{Environment.NewLine}");
                foreach (var line in Measure(workload, rounds, only))
                {
                    report.AppendLine(line);
                    Console.WriteLine(line);
                }
            }
        }
        report.AppendLine();
        report.AppendLine($"Load average at end: {LoadAverage()}.");
        string suffix = threads.Length > 0 ? $"-{threads}thread" : "";
        string path = Path.Combine(outDirectory, $"paired-{string.Join("-", models)}{suffix}.md");
        File.WriteAllText(path, report.ToString());
        Console.WriteLine($"// written {path}");
        return 0;
    }

    private static IEnumerable<string> Measure(CamCostWorkload workload, int rounds, string[] only)
    {
        var operations = workload.Operations
            .Where((o, i) => i == 0 || only.Length == 0 || only.Any(f => o.Name.Contains(f, StringComparison.OrdinalIgnoreCase)))
            .ToArray();
        var times = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var random = new Random(17);
        for (int round = -2; round < rounds; round++)
        {
            foreach (var (name, run) in operations.OrderBy(_ => random.Next()))
            {
                long start = Stopwatch.GetTimestamp();
                run();
                double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (round >= 0)
                    times[name].Add(ms);
            }
        }
        List<double> plain = times[CamCostWorkload.PlainForwardName];
        foreach (var (name, _) in operations)
        {
            double[] ratios = times[name].Zip(plain, (t, p) => t / p).Order().ToArray();
            double perImage = Median(times[name].Order().ToArray()) / workload.Batch;
            double fastest = times[name].Min() / workload.Batch;
            double ratioOfMinima = times[name].Min() / plain.Min();
            double ratioOfMedians = Median(times[name].Order().ToArray()) / Median(plain.Order().ToArray());
            yield return string.Create(CultureInfo.InvariantCulture,
                $"| {workload.Architecture} | {workload.Batch} | {name} | {perImage:0.0} | {fastest:0.0} | {Median(ratios):0.00}× | {ratioOfMedians:0.00}× | {ratioOfMinima:0.00}× | {ratios[0]:0.00}–{ratios[^1]:0.00} |");
        }
    }

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

    private static string Option(string[] args, string name, string fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
