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
/// forward and Grad-CAM at the auto layer, ms per image (batch 1), minimum and median over rounds. The PyTorch side is
/// <c>scripts/bench-transformers.py</c> on the same models; compare the two printouts.
/// </summary>
/// <remarks>Usage: <c>CamStudio.Benchmarks --transformers DIR [--models vit_b_16_opset17,swin_t_opset17] [--rounds 7] [--threads 1]</c>.</remarks>
public static class TransformerTiming
{
    public static int Run(string[] args)
    {
        string folder = args.SkipWhile(a => a != "--transformers").Skip(1).FirstOrDefault() ?? Path.Combine("artifacts", "full-onnx");
        string[] models = Option(args, "--models", "vit_b_16_opset17,swin_t_opset17").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int rounds = int.Parse(Option(args, "--rounds", "7"), CultureInfo.InvariantCulture);
        torch.set_num_threads(int.Parse(Option(args, "--threads", "1"), CultureInfo.InvariantCulture));
        var gradCam = new ExplainRequest(["gradcam"], ClassSelection.Top1);
        foreach (string name in models)
        {
            string path = Path.Combine(folder, name + ".onnx");
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path} is missing; make it with scripts/export-onnx-fixtures.py --full {folder}.");
            using OnnxCamModel model = OnnxCamModel.Load(path, null, PreprocessingSpec.ImageNet(), CPU, sizeFromModel: true);
            int size = model.Preprocessing.InputHeight;
            using Tensor x = torch.linspace(-2, 2, 3L * size * size).mul(5.3).sin().reshape(1, 3, size, size);
            var forward = new List<double>();
            var cam = new List<double>();
            for (int round = -2; round < rounds; round++)
            {
                long t0 = Stopwatch.GetTimestamp();
                using (NewDisposeScope())
                using (ModelRun run = model.Run(x, model.AutoLayer, trackGradients: false))
                {
                }
                long t1 = Stopwatch.GetTimestamp();
                using (NewDisposeScope())
                    CamExplainer.Explain(model, x, gradCam);
                long t2 = Stopwatch.GetTimestamp();
                if (round < 0)
                    continue;
                forward.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                cam.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
            }
            Console.WriteLine($"{name} ({size}×{size}, auto layer {model.AutoLayer}): forward min {forward.Min():F1} ms, median {Median(forward):F1} ms; " +
                              $"Grad-CAM min {cam.Min():F1} ms, median {Median(cam):F1} ms ({rounds} rounds, {torch.get_num_threads()} thread(s))");
        }
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
