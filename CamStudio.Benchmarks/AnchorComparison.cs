using System.Diagnostics;
using System.Globalization;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// CamStudio's side of scripts/bench-anchors.sh: one photo through the engine's explainer (the same chunked, paced
/// extra passes the studio runs), seconds per method, as lines <c>RESULT camstudio METHOD SECONDS CLASS</c>.
/// With <c>--agree</c> it also prints how closely the bfloat16 passes and Faster Score-CAM follow float32 and exact
/// Score-CAM (Pearson over the layer-resolution map, and the largest difference of the min-max scaled maps).
/// </summary>
/// <remarks>
/// Usage: <c>CamStudio.Benchmarks --anchors --arch resnet18 --weights W.pt | --onnx M.onnx --photo P [--threads 2]
/// [--methods gradcam,scorecam,...] [--options samples=2,steps=2] [--agree]</c>.
/// </remarks>
public static class AnchorComparison
{
    public static int Run(string[] args)
    {
        torch.set_num_threads(int.Parse(Cli.Option(args, "--threads", "2"), CultureInfo.InvariantCulture));
        string[] methods = Cli.Option(args, "--methods", "gradcam,scorecam,ablationcam,sscam,iscam,scorecam-fast").Split(',');
        Dictionary<string, string> options = Cli.Option(args, "--options", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
        using Image<Rgb24> photo = Image.Load<Rgb24>(Cli.Option(args, "--photo", ""));
        string onnx = Cli.Option(args, "--onnx", "");
        using ICamModel model = onnx.Length > 0
            ? OnnxCamModel.Load(onnx, null, PreprocessingSpec.ImageNet(), CPU, "mobilenetv2-int8")
            : TorchVisionModels.CreateCamModel(Cli.Option(args, "--arch", "resnet18"), Cli.Option(args, "--weights", ""), device: CPU);
        string precision = model is IInferenceForwards fast ? fast.InferencePrecision.ToString() : "Float32";
        Console.WriteLine($"// {model.Name}, layer {model.AutoLayer}, {torch.get_num_threads()} threads, inference precision {precision}");
        using DisposeScope scope = torch.NewDisposeScope();
        int batchSize = int.Parse(Cli.Option(args, "--batch", "1"), CultureInfo.InvariantCulture);
        int gradientRepeats = int.Parse(Cli.Option(args, "--repeats", "5"), CultureInfo.InvariantCulture);
        Tensor batch = PhotoPreprocessor.ToBatch([PhotoPreprocessor.Resize(photo, model.Preprocessing)], model.Preprocessing, CPU)
            .repeat(batchSize, 1, 1, 1);
        Explain(model, batch, [CamMethods.Get("gradcam")], out _);
        foreach (string id in methods)
        {
            ICamMethod method = Configure(CamMethods.Get(id), options);
            int repeats = method.NeedsExtraForwards ? 1 : gradientRepeats;
            long idle = ResetPeakResidentMemory();
            long start = Stopwatch.GetTimestamp();
            ClassMap map = null!;
            for (int i = 0; i < repeats; i++)
                map = Explain(model, batch, [method], out _);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds / repeats;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT camstudio {id} {seconds:0.0000} {map.ClassIndex}"));
            if (idle > 0)
                Console.WriteLine($"MEMORY {model.Name} {id}: resident before {idle / 1024} MiB, peak during {Status("VmHWM") / 1024} MiB, {(Status("VmHWM") - idle) / 1024} MiB above");
        }
        if (args.Contains("--agree"))
            Agreement(args, model);
        return 0;
    }

    /// <summary>Faster Score-CAM against exact Score-CAM (and, on TorchVision models, bfloat16 against float32 passes) on each of --photos.</summary>
    private static void Agreement(string[] args, ICamModel model)
    {
        string arch = Cli.Option(args, "--arch", "resnet18"), weights = Cli.Option(args, "--weights", "");
        foreach (string path in Cli.Option(args, "--photos", Cli.Option(args, "--photo", "")).Split(','))
        {
            using Image<Rgb24> photo = Image.Load<Rgb24>(path);
            using Image<Rgb24> resized = PhotoPreprocessor.Resize(photo, model.Preprocessing);
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor batch = PhotoPreprocessor.ToBatch([resized], model.Preprocessing, CPU);
            string name = Path.GetFileName(path);
            ICamModel reference = model;
            ModuleCamModel? fp32 = null;
            if (model is ModuleCamModel { InferencePrecision: ScalarType.BFloat16 })
                reference = fp32 = Model(arch, weights, ScalarType.Float32);
            try
            {
                (CamMap exact, double exactSeconds) = Timed(() => Explain(reference, batch, [CamMethods.Get("scorecam")], out _).Map);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"// {name}: exact Score-CAM (float32 passes) {exactSeconds:0.0} s"));
                if (fp32 is not null)
                {
                    (CamMap bf16, double bf16Seconds) = Timed(() => Explain(model, batch, [CamMethods.Get("scorecam")], out _).Map);
                    Report($"{name} scorecam bfloat16 vs float32 ({exactSeconds / bf16Seconds:0.00}× faster)", exact, bf16);
                }
                foreach (int k in new[] { 32, 64, 128 })
                {
                    (CamMap fast, double fastSeconds) = Timed(() => Explain(reference, batch, [new CamStudio.Engine.Cam.Methods.FasterScoreCam(k)], out _).Map);
                    Report($"{name} scorecam-fast k={k} vs exact ({exactSeconds / fastSeconds:0.0}× faster)", exact, fast);
                }
            }
            finally
            {
                fp32?.Dispose();
            }
        }
    }

    private static (T Value, double Seconds) Timed<T>(Func<T> run)
    {
        long start = Stopwatch.GetTimestamp();
        T value = run();
        return (value, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private static ModuleCamModel Model(string arch, string weights, ScalarType precision)
    {
        nn.Module<Tensor, Tensor> module = TorchVisionModels.Load(arch, weights, device: CPU);
        return new ModuleCamModel(arch, module, PreprocessingSpec.ImageNet(), CPU, createReplica: () => TorchVisionModels.Create(arch, device: CPU),
            inferencePrecision: precision);
    }

    private static void Report(string what, CamMap expected, CamMap actual)
    {
        double r = Pearson(expected.Raw, actual.Raw);
        double diff = expected.Normalised().Zip(actual.Normalised(), (x, y) => Math.Abs(x - y)).Max();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"AGREE {what}: pearson {r:0.0000}, max abs diff (scaled maps) {diff:0.0000}"));
    }

    internal static double Pearson(IReadOnlyList<float> x, IReadOnlyList<float> y)
    {
        double mx = x.Average(v => (double)v), my = y.Average(v => (double)v), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Resets the kernel's peak-RSS mark (clear_refs 5) and returns the resident KiB now; 0 where that is not possible.</summary>
    private static long ResetPeakResidentMemory()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return Status("VmRSS");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>A KiB field of /proc/self/status (VmRSS, VmHWM).</summary>
    private static long Status(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static ICamMethod Configure(ICamMethod method, IReadOnlyDictionary<string, string> options) =>
        method.Options.Count == 0 ? method : method.WithOptions(MethodOptionValues.Resolve(method.Id, method.Options,
            options.Where(o => method.Options.Any(m => m.Name == o.Key)).ToDictionary()));

    private static ClassMap Explain(ICamModel model, Tensor batch, IReadOnlyList<ICamMethod> methods, out TimeSpan forward) =>
        CamExplainer.Explain(model, batch, methods, model.AutoLayer, ClassSelection.Top1, new ForwardPacing(0), CancellationToken.None, out forward)[0].Maps[0];
}
