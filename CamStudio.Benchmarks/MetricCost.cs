using System.Diagnostics;
using System.Globalization;
using System.Text;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// What each faithfulness metric costs per photo as a multiple of one plain forward pass, interleaved as
/// <see cref="PairedCamCost"/> does (each round runs the forward and every metric; ratios within a round, medians
/// over rounds). resnet18 with seeded random weights, one 224² input, Grad-CAM's map at layer4.
/// </summary>
/// <remarks>Usage: <c>CamStudio.Benchmarks --metrics [--rounds 3] [--threads 1] [--recommend] [--out DIR]</c>.</remarks>
public static class MetricCost
{
    public static int Run(string[] args)
    {
        int rounds = int.Parse(Option(args, "--rounds", "3"), CultureInfo.InvariantCulture);
        string threads = Option(args, "--threads", "1");
        torch.set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));
        string outDirectory = Option(args, "--out", Path.Combine("artifacts", "bench"));
        Directory.CreateDirectory(outDirectory);

        using ModuleCamModel model = TorchVisionModels.CreateCamModel("resnet18", preprocessing: PreprocessingSpec.ImageNet(224), device: torch.CPU);
        torch.manual_seed(1);
        using Tensor input = torch.randn([1, 3, 224, 224]);
        var pacing = new ForwardPacing(0);
        var scorer = new ProbabilityScorer(model, "layer4", pacing, CancellationToken.None);
        float[] Map(long cls)
        {
            ClassMap map = CamExplainer.Explain(model, input, new ExplainRequest(["gradcam"], new ClassSelection.Indices([(int)cls]), "layer4"))[0].Maps[0];
            return new CamMap(224, 224, MapResampler.Resize(map.Map, 224, 224)).Normalised();
        }
        // The metrics score a map shaped like a real one: Grad-CAM of random weights on a random input is flat (every
        // position tied: ROAD would remove everything and impute nothing), so a seeded 7×7 grid (layer4's) upsampled.
        using Tensor grid = torch.rand([1, 1, 7, 7], generator: new torch.Generator(5, torch.CPU));
        float[] gradcam = new CamMap(224, 224, nn.functional.interpolate(grid, [224, 224], mode: InterpolationMode.Bilinear, align_corners: false)
            .data<float>().ToArray()).Normalised();
        var options = new MetricOptions { Metrics = new HashSet<string>([MetricNames.Sanity]), SanityStages = 5 };
        using Tensor baseline = torch.zeros_like(input);
        // ROAD's 18 masks of this map (MoRF then LeRF, percentiles 10 … 90), for the imputation alone, now and before.
        float[] inverse = gradcam.Select(v => 1f - v).ToArray();
        float[] masks = [.. Road.Percentiles.SelectMany(q => Road.KeepBelow(gradcam, Road.Percentile(gradcam, q)))
            .Concat(Road.Percentiles.SelectMany(q => Road.KeepBelow(inverse, Road.Percentile(inverse, q))))];
        using Tensor known = torch.tensor(masks).reshape(2 * Road.Percentiles.Count, 1, 224, 224);
        using Tensor stack = input.expand(known.shape[0], -1, -1, -1);
        using (torch.NewDisposeScope())
        {
            double difference = (NoisyLinearImputation.Impute(stack, known, null) - ImputationBefore.Impute(stack, known, null)).abs().max().item<float>();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// ROAD imputation, now vs before: largest difference {difference:0.0e0} (input sd 1)"));
        }

        (string Name, Action Run)[] operations =
        [
            ("plain forward (no grad)", () => { using var _ = torch.no_grad(); using ModelRun run = model.Run(input, "layer4", false); }),
            ("deletion + insertion, 20 steps (39 passes)", () => DeletionInsertion.Compute(scorer, input, baseline, gradcam, 0, 0.5, 20)),
            // Side by side: the ranking deletion/insertion start with, as it is and as it was (a comparison-delegate sort).
            ("ranking a 224² map (sort on 64-bit keys, now)", () => MapRanking.Ranks(gradcam)),
            ("ranking a 224² map (comparison-delegate sort, before)", () => ComparerRanks(gradcam)),
            ("Average Drop + Increase (1 pass)", () => ConfidenceChange.Compute(scorer, input, gradcam, 0, 0.5)),
            ("ROAD MoRF + LeRF, 9 percentiles (18 passes + imputation)", () => Road.Compute(scorer, input, gradcam, 0, 0.5, 7)),
            ("ROAD imputation alone, 18 masks × 3 channels (multigrid-preconditioned CG, now)", () => NoisyLinearImputation.Impute(stack, known, null)),
            ("ROAD imputation alone, 18 masks × 3 channels (Jacobi-preconditioned CG, before)", () => ImputationBefore.Impute(stack, known, null)),
            ("sanity: 5 randomisation stages + random class (6 Grad-CAMs)", () =>
            {
                using var evaluator = new MapEvaluator(scorer, pacing, options, input, 0, 0.5, CancellationToken.None);
                evaluator.Score(gradcam, Map);
            }),
        ];
        var times = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var random = new Random(3);
        for (int round = -1; round < rounds; round++)
        {
            foreach (var op in operations.OrderBy(_ => random.Next()))
            {
                using DisposeScope scope = torch.NewDisposeScope();
                long started = Stopwatch.GetTimestamp();
                op.Run();
                if (round >= 0)
                    times[op.Name].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            Console.WriteLine($"// round {round + 1} done");
        }
        double forward = Median(times[operations[0].Name]);
        var report = new StringBuilder();
        report.AppendLine($"# Metric cost ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC), resnet18 random weights, 224², {torch.get_num_threads()} torch thread(s), {rounds} rounds, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        report.AppendLine();
        report.AppendLine("| operation | median ms | × plain forward |");
        report.AppendLine("|---|---:|---:|");
        foreach (var op in operations)
            report.AppendLine(CultureInfo.InvariantCulture, $"| {op.Name} | {Median(times[op.Name]):0.0} | {Median(times[op.Name]) / forward:0.0}× |");

        if (args.Contains("--recommend"))
        {
            using var executor = new TorchExecutor();
            using var engine = new CamEngine(executor);
            executor.RunAsync(_ => engine.AddModel("resnet18", TorchVisionModels.CreateCamModel("resnet18", preprocessing: PreprocessingSpec.ImageNet(224), device: torch.CPU))).GetAwaiter().GetResult();
            using var photo = new Image<Rgb24>(224, 224);
            for (int y = 0; y < 224; y++)
                for (int x = 0; x < 224; x++)
                    photo[x, y] = new Rgb24((byte)x, (byte)y, (byte)(x ^ y));
            long started = Stopwatch.GetTimestamp();
            EngineRecommendation result = engine.RecommendAsync(new RecommendRequest { Request = new CamRequest { Model = "resnet18" } }, [photo]).GetAwaiter().GetResult();
            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            int pairs = result.Ranked.Count(r => !r.IsBaseline);
            report.AppendLine(CultureInfo.InvariantCulture, $"| full recommend sweep ({pairs} layer × method pairs + 3 baselines, deletion + insertion at 20 steps) | {ms:0} | {ms / forward:0}× ({ms / forward / pairs:0.0}× per pair) |");
        }
        string text = report.ToString();
        Console.WriteLine(text);
        File.WriteAllText(Path.Combine(outDirectory, "metric-cost.md"), text);
        return 0;
    }

    /// <summary>The ranking as it was before the key sort (kept here only to measure the difference).</summary>
    private static int[] ComparerRanks(float[] keys)
    {
        int[] order = Enumerable.Range(0, keys.Length).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        });
        int[] ranks = new int[keys.Length];
        for (int r = 0; r < order.Length; r++)
            ranks[order[r]] = r;
        return ranks;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
