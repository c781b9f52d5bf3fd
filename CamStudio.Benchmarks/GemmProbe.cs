using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CamStudio.Benchmarks;

/// <summary>
/// Milliseconds per GEMM of the shapes an imported ViT-B/16 runs (197 tokens × 768 channels into 768, 2 304 and 3 072
/// outputs, and back from 3 072), by each route libtorch offers on the CPU, interleaved: how the import's constant-weight
/// MatMul route was chosen on this machine.
/// </summary>
/// <remarks>Usage: <c>CamStudio.Benchmarks --gemm [--threads 1] [--rounds 5] [--tokens 197]</c>.</remarks>
public static class GemmProbe
{
    public static int Run(string[] args)
    {
        torch.set_num_threads(int.Parse(Cli.Option(args, "--threads", "1"), CultureInfo.InvariantCulture));
        int rounds = int.Parse(Cli.Option(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        long tokens = long.Parse(Cli.Option(args, "--tokens", "197"), CultureInfo.InvariantCulture);
        (long In, long Out)[] shapes = [(768, 768), (768, 2304), (768, 3072), (3072, 768)];
        using var scope = torch.NewDisposeScope();
        using var inference = torch.inference_mode();
        var routes = new (string Name, Func<Tensor, Tensor, Tensor, Tensor> Run)[]
        {
            ("matmul x·W (today)", (x, w, wt) => x.matmul(w)),
            ("linear x·Wᵀ", (x, w, wt) => F.linear(x, wt)),
            ("1×1 conv, tokens as batch", (x, w, wt) => F.conv2d(x.reshape(-1, x.shape[^1], 1, 1), wt.unsqueeze(-1).unsqueeze(-1)).reshape(x.shape[0], x.shape[1], -1)),
            ("bfloat16 matmul", (x, w, wt) => x.to(ScalarType.BFloat16).matmul(w.to(ScalarType.BFloat16)).to(ScalarType.Float32)),
            ("bfloat16 mm 2-D", (x, w, wt) => x.reshape(-1, x.shape[^1]).to(ScalarType.BFloat16).mm(w.to(ScalarType.BFloat16)).to(ScalarType.Float32).reshape(x.shape[0], x.shape[1], -1)),
            ("bfloat16 linear", (x, w, wt) => F.linear(x.to(ScalarType.BFloat16), wt.to(ScalarType.BFloat16)).to(ScalarType.Float32)),
            ("bfloat16 1×1 conv, tokens as batch", (x, w, wt) => F.conv2d(x.reshape(-1, x.shape[^1], 1, 1).to(ScalarType.BFloat16), wt.to(ScalarType.BFloat16).unsqueeze(-1).unsqueeze(-1)).to(ScalarType.Float32).reshape(x.shape[0], x.shape[1], -1)),
            ("bfloat16 1×1 conv, tokens as rows (NHWC)", (x, w, wt) => F.conv2d(x.to(ScalarType.BFloat16).unsqueeze(2).permute(0, 3, 1, 2), wt.to(ScalarType.BFloat16).unsqueeze(-1).unsqueeze(-1)).to(ScalarType.Float32).permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[1], -1)),
            ("float32 1×1 conv, tokens as rows (NHWC)", (x, w, wt) => F.conv2d(x.unsqueeze(2).permute(0, 3, 1, 2), wt.unsqueeze(-1).unsqueeze(-1)).permute(0, 2, 3, 1).reshape(x.shape[0], x.shape[1], -1)),
        };
        var times = new Dictionary<string, List<double>>();
        foreach ((long inF, long outF) in shapes)
        {
            Tensor x = torch.randn(1, tokens, inF);
            Tensor w = torch.randn(inF, outF) * 0.02;
            Tensor wt = w.t().contiguous();
            Tensor reference = x.matmul(w);
            foreach (var (name, run) in routes)
            {
                double error = (run(x, w, wt) - reference).abs().max().item<float>() / reference.abs().max().item<float>();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {inF}→{outF} {name}: largest difference {error:0.0e0} of the largest output"));
            }
            for (int round = -1; round < rounds; round++)
            {
                foreach (var (name, run) in routes)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < 10; i++)
                        run(x, w, wt).Dispose();
                    double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds / 10;
                    string key = $"{inF,4}→{outF,-4} {name}";
                    if (round >= 0)
                        (times.TryGetValue(key, out var list) ? list : times[key] = []).Add(ms);
                }
            }
            double flop = 2.0 * tokens * inF * outF;
            foreach (var (key, list) in times.Where(t => t.Key.StartsWith($"{inF,4}→{outF,-4}", StringComparison.Ordinal)))
            {
                double median = list.Order().ElementAt(list.Count / 2);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}: median {median:0.00} ms, {flop / median / 1e6:0} GFLOP/s"));
            }
        }
        return 0;
    }
}
