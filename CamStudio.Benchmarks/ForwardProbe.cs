using System.Diagnostics;
using System.Globalization;
using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// Milliseconds per image of a plain forward pass at several batch sizes, in float32 and bfloat16, each with the input in NCHW and channels-last order, interleaved: how
/// the masked-input batch size and the precision of the perturbation methods were chosen on this machine.
/// </summary>
/// <remarks>Usage: <c>CamStudio.Benchmarks --probe [--models resnet18,resnet50] [--batches 1,4,8,16,32] [--threads 2] [--rounds 3]</c>.</remarks>
public static class ForwardProbe
{
    public static int Run(string[] args)
    {
        string[] models = Cli.Option(args, "--models", "resnet18").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int[] batches = Cli.Option(args, "--batches", "1,4,8,16,32").Split(',').Select(int.Parse).ToArray();
        int rounds = int.Parse(Cli.Option(args, "--rounds", "3"), CultureInfo.InvariantCulture);
        torch.set_num_threads(int.Parse(Cli.Option(args, "--threads", "2"), CultureInfo.InvariantCulture));
        foreach (string architecture in models)
        {
            using var fp32 = TorchVisionModels.Create(architecture, device: CPU);
            using var bf16 = TorchVisionModels.Create(architecture, device: CPU);
            bf16.load_state_dict(fp32.state_dict());
            bf16.to(ScalarType.BFloat16);
            // Channels-last: the input in NHWC memory order (the convolutions follow the input's format).
            var variants = new (string Name, nn.Module<Tensor, Tensor> Module, ScalarType Type, bool ChannelsLast)[]
            {
                ("float32", fp32, ScalarType.Float32, false), ("bfloat16", bf16, ScalarType.BFloat16, false),
                ("float32 channels-last", fp32, ScalarType.Float32, true), ("bfloat16 channels-last", bf16, ScalarType.BFloat16, true),
            };
            var times = new Dictionary<string, List<double>>();
            for (int round = -1; round < rounds; round++)
            {
                foreach (int batch in batches)
                {
                    foreach (var (name, module, type, channelsLast) in variants)
                    {
                        using var scope = torch.NewDisposeScope();
                        using var inference = torch.inference_mode();
                        Tensor input = torch.randn(batch, 3, 224, 224).to(type);
                        if (channelsLast) // NHWC storage with NCHW shape: the strides libtorch reads as channels-last
                            input = input.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
                        long start = Stopwatch.GetTimestamp();
                        module.call(input).sum().to(ScalarType.Float32).item<float>();
                        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds / batch;
                        string key = $"{architecture} batch {batch,2} {name}";
                        if (round >= 0)
                            (times.TryGetValue(key, out var list) ? list : times[key] = []).Add(ms);
                    }
                }
            }
            foreach (var (key, list) in times)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}: min {list.Min():0.0} ms/image, median {list.Order().ElementAt(list.Count / 2):0.0}"));
        }
        return 0;
    }
}
