using System.CommandLine;
using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Cli;

/// <summary>
/// <c>camstudio concepts IMAGE --k 5</c>: Deep Feature Factorization of each photo through the engine, written as
/// <c>&lt;stem&gt;.concepts.png</c> (coloured regions and a legend naming each concept's classes), the legend printed too.
/// </summary>
internal static class ConceptsCommand
{
    public static Command CommandLine(CliContext context)
    {
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "Photos to split into concepts." };
        var model = new Option<string?>("--model") { Description = "Model name, folder or .onnx file (default: the default model)." };
        var weights = new Option<string?>("--weights") { Description = "A torchvision weights file for --model ARCH." };
        var layer = new Option<string?>("--layer") { Description = "Layer to factorise (default: the model's default layer)." };
        var k = new Option<int>("--k") { Description = "Number of concepts, 1 to 16.", DefaultValueFactory = _ => 5 };
        var top = new Option<int>("--classes") { Description = "Classes named per concept, 0 to 5.", DefaultValueFactory = _ => 2 };
        var output = new Option<string>("--out") { Description = "Output folder (created if missing).", DefaultValueFactory = _ => "." };
        var modelsDir = new Option<string?>("--models-dir") { Description = "Models folder (default: CAMSTUDIO_MODELS or ./models)." };
        var command = new Command("concepts", "Split photos into concepts (Deep Feature Factorization): <stem>.concepts.png with a legend.")
        {
            images, model, weights, layer, k, top, output, modelsDir,
        };
        command.SetAction(parse => RunAsync(context, parse.GetValue(images) ?? [], parse.GetValue(model), parse.GetValue(weights), parse.GetValue(layer),
            parse.GetValue(k), parse.GetValue(top), parse.GetValue(output)!, parse.GetValue(modelsDir)).GetAwaiter().GetResult());
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, IReadOnlyList<string> images, string? model, string? weights, string? layer,
        int k, int top, string output, string? modelsDir)
    {
        string outDir = Path.GetFullPath(output);
        using var cli = new CliEngine(context.Catalog(modelsDir));
        (string name, string? defaultLayer) = await cli.ModelAsync(model, weights, CancellationToken.None);
        var request = new ConceptRequest { Model = name, Layer = layer ?? defaultLayer, Concepts = k, ClassesPerConcept = top, Owner = "cli" };
        Directory.CreateDirectory(outDir);
        int failures = 0;
        foreach (string path in images)
        {
            DecodedPhoto photo;
            try
            {
                photo = PhotoDecoder.Default.Decode(path);
            }
            catch (PhotoDecodeException e)
            {
                context.ReportError($"{path}: {e.Reason}");
                failures++;
                continue;
            }
            using (photo)
            {
                ConceptExplanation concepts = await cli.Engine.ConceptsAsync(request, photo.Image);
                string png = Path.Combine(outDir, $"{Path.GetFileNameWithoutExtension(path)}.concepts.png");
                using (Image<Rgb24> picture = concepts.Render(photo.Image))
                    File.WriteAllBytes(png, HeatmapRenderer.EncodePng(picture));
                context.Out.WriteLine($"{path}: {concepts.Concepts.Count} concepts at {concepts.Layer} → {png}");
                foreach (string line in concepts.Legend)
                    context.Out.WriteLine("  " + line);
            }
        }
        return failures > 0 ? ExitCodes.Failure : ExitCodes.Success;
    }
}
