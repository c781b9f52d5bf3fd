using System.Diagnostics;
using System.Globalization;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// Where a Grad-CAM's time goes, interleaved round by round: a plain forward in inference mode, in no-grad mode and
/// with grad mode on, the model's capture run, and the whole explanation, then the last two without the
/// batch-norm-folded copy (the same weights).
/// </summary>
/// <remarks>Usage: <c>CamStudio.Benchmarks --explain-breakdown [--models resnet18,resnet50] [--batches 1,8] [--threads 2] [--rounds 5] [--weights artifacts/anchors/{arch}.pt]</c>.</remarks>
public static class ExplainBreakdown
{
    public static int Run(string[] args)
    {
        string[] models = Cli.Option(args, "--models", "resnet18").Split(',', StringSplitOptions.RemoveEmptyEntries);
        int[] batches = Cli.Option(args, "--batches", "1,8").Split(',').Select(int.Parse).ToArray();
        int rounds = int.Parse(Cli.Option(args, "--rounds", "5"), CultureInfo.InvariantCulture);
        torch.set_num_threads(int.Parse(Cli.Option(args, "--threads", "2"), CultureInfo.InvariantCulture));
        ICamMethod gradCam = CamMethods.Get("gradcam");
        foreach (string architecture in models)
        {
            string weights = Cli.Option(args, "--weights", "");
            string? weightsFile = weights.Length > 0 ? weights.Replace("{arch}", architecture, StringComparison.Ordinal) : null;
            using ModuleCamModel model = TorchVisionModels.CreateCamModel(architecture, weightsFile, device: CPU);
            // The same weights without the batch-norm-folded copy, timed beside it.
            using ModuleCamModel unfolded = TorchVisionModels.CreateCamModel(architecture, weightsFile, device: CPU, foldBatchNorms: false);
            if (weightsFile is null)
            {
                using (torch.no_grad())
                    unfolded.Module.load_state_dict(model.Module.state_dict());
            }
            foreach (int batch in batches)
            {
                using var scope = torch.NewDisposeScope();
                string photo = Cli.Option(args, "--photo", "");
                Tensor input = photo.Length == 0
                    ? torch.randn(batch, 3, 224, 224)
                    : PhotoPreprocessor.ToBatch([PhotoPreprocessor.Resize(SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(photo), model.Preprocessing)], model.Preprocessing, CPU).expand(batch, -1, -1, -1).contiguous();
                var steps = new (string Name, Action Run)[]
                {
                    ("forward, inference mode", () => { using (torch.inference_mode()) model.Module.call(input).Dispose(); }),
                    ("forward, no grad", () => { using (torch.no_grad()) model.Module.call(input).Dispose(); }),
                    ("forward, grad mode", () => { using (torch.enable_grad()) model.Module.call(input).Dispose(); }),
                    ("capture run with gradients", () => { using ModelRun run = model.Run(input, model.AutoLayer, trackGradients: true); }),
                    ("Grad-CAM explanation", () => CamExplainer.Explain(model, input, [gradCam], model.AutoLayer, ClassSelection.Top1, null, CancellationToken.None, out _)),
                    ("capture run with gradients, unfolded", () => { using ModelRun run = unfolded.Run(input, unfolded.AutoLayer, trackGradients: true); }),
                    ("Grad-CAM explanation, unfolded", () => CamExplainer.Explain(unfolded, input, [gradCam], unfolded.AutoLayer, ClassSelection.Top1, null, CancellationToken.None, out _)),
                };
                var times = steps.ToDictionary(s => s.Name, _ => new List<double>());
                for (int round = -1; round < rounds; round++)
                {
                    foreach (var (name, run) in steps)
                    {
                        long start = Stopwatch.GetTimestamp();
                        run();
                        if (round >= 0)
                            times[name].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                }
                foreach (var (name, list) in times)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{architecture} batch {batch} {name}: median {list.Order().ElementAt(list.Count / 2):0.0} ms, min {list.Min():0.0}"));
            }
        }
        return 0;
    }
}
