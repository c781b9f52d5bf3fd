using System.CommandLine;
using CamStudio.Engine.Metrics;

namespace CamStudio.Cli;

/// <summary>The <c>evaluate</c> and <c>recommend</c> command lines (options and help), run by <see cref="EvaluateCommand"/>.</summary>
internal static class EvaluateCommandLines
{
    public static Command Evaluate(CliContext context)
    {
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "Photos to evaluate, or folders of them." };
        var model = CamStudioCli.ModelOption();
        var weights = CamStudioCli.WeightsOption();
        var method = new Option<string>("--method") { Description = "CAM methods, comma-separated.", DefaultValueFactory = _ => "gradcam" };
        var classes = new Option<string>("--class") { Description = "Classes to explain (top1, top3, indices or names).", DefaultValueFactory = _ => "top1" };
        var layer = new Option<string?>("--layer") { Description = "Layer to map (default: the model's default layer)." };
        var metrics = new Option<string?>("--metrics")
        {
            Description = $"Metrics, comma-separated: {string.Join(", ", MetricNames.All)} (default: {string.Join(",", MetricNames.Default)}).",
        };
        var baselines = new Option<bool>("--baselines") { Description = "Also score baseline-random, baseline-centre and baseline-sobel." };
        var box = new Option<string?>("--box") { Description = "The object's box x0,y0,x1,y1 in photo pixels (turns on the pointing games)." };
        var steps = new Option<int>("--steps") { Description = "Deletion/insertion steps.", DefaultValueFactory = _ => 20 };
        var baseline = new Option<string?>("--baseline") { Description = "What deleted pixels become: zeros (default), blur or mean." };
        var output = new Option<string>("--out") { Description = "Output folder (created if missing).", Required = true };
        var modelsDir = CamStudioCli.ModelsDirOption();
        var options = MethodOptions();
        var command = new Command("evaluate", "Score maps with faithfulness metrics and sanity checks: metrics.csv, metrics.json (curves) and the maps (.npy).")
        {
            images, model, weights, method, classes, layer, metrics, baselines, box, steps, baseline, output, modelsDir, options,
        };
        command.SetAction(parse => EvaluateCommand.Run(new EvaluateSettings(PhotoArguments.Expand(parse.GetValue(images)), parse.GetValue(model), parse.GetValue(weights),
            parse.GetValue(method)!, parse.GetValue(classes)!, parse.GetValue(layer), parse.GetValue(metrics), parse.GetValue(baselines),
            parse.GetValue(box), parse.GetValue(steps), parse.GetValue(baseline), parse.GetValue(output)!, parse.GetValue(modelsDir), parse.GetValue(options)), context));
        return command;
    }

    private static Option<string[]> MethodOptions() => new("--option")
    {
        Description = "A method option as name=value, or method.name=value for one method (repeatable); 'camstudio methods' lists them.",
    };

    public static Command Recommend(CliContext context)
    {
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "Photos to score the sweep on, or folders of them." };
        var model = CamStudioCli.ModelOption();
        var weights = CamStudioCli.WeightsOption();
        var method = new Option<string?>("--method") { Description = "Methods to add to the fast ones (slow ones such as scorecam included), comma-separated." };
        var classes = new Option<string>("--class") { Description = "Classes to explain.", DefaultValueFactory = _ => "top1" };
        var layer = new Option<string[]>("--layer") { Description = "A layer to add to the sweep (repeatable).", AllowMultipleArgumentsPerToken = false };
        var lastLayers = new Option<int>("--layers") { Description = "How many of the last spatial layers to sweep.", DefaultValueFactory = _ => 4 };
        var score = new Option<string>("--score") { Description = "Ranking score: insertion-deletion (default) or road.", DefaultValueFactory = _ => "insertion-deletion" };
        var steps = new Option<int>("--steps") { Description = "Deletion/insertion steps.", DefaultValueFactory = _ => 20 };
        var baseline = new Option<string?>("--baseline") { Description = "What deleted pixels become: zeros (default), blur or mean." };
        var output = new Option<string>("--out") { Description = "Output folder (created if missing).", Required = true };
        var modelsDir = CamStudioCli.ModelsDirOption();
        var options = MethodOptions();
        var command = new Command("recommend", "Sweep methods × layers, score each pair, and rank them with the baselines: recommend.csv and the maps (.npy).")
        {
            images, model, weights, method, classes, layer, lastLayers, score, steps, baseline, output, modelsDir, options,
        };
        command.SetAction(parse => EvaluateCommand.Run(new RecommendSettings(PhotoArguments.Expand(parse.GetValue(images)), parse.GetValue(model), parse.GetValue(weights),
            parse.GetValue(method), parse.GetValue(classes)!, parse.GetValue(layer) ?? [], parse.GetValue(lastLayers), parse.GetValue(score)!,
            parse.GetValue(steps), parse.GetValue(baseline), parse.GetValue(output)!, parse.GetValue(modelsDir), parse.GetValue(options)), context));
        return command;
    }
}
