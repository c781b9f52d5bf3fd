using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;

namespace CamStudio.Cli;

/// <summary>
/// The <c>camstudio</c> command line: <c>explain</c>, <c>layers</c>, <c>models</c> (<c>add</c>, <c>pull</c>), <c>info</c>.
/// Bad input of any kind ends with a non-zero exit code and one line on stderr; no stack traces.
/// </summary>
public static class CamStudioCli
{
    /// <summary>Set to any value to get stack traces for unexpected errors.</summary>
    public const string DebugVariable = "CAMSTUDIO_DEBUG";

    public static string Version =>
        typeof(CamStudioCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(CamStudioCli).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>Runs the command line with the given writers and environment (tests pass their own); returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, Func<string, string?>? environment = null)
    {
        var context = new CliContext(output, error, environment ?? Environment.GetEnvironmentVariable)
        {
            ShowProgress = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected,
        };
        try
        {
            RootCommand root = Build(context);
            ParseResult parse = root.Parse(args);
            if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
            {
                context.ReportError($"{ParseErrorMessage(parse)} See 'camstudio --help'.");
                return ExitCodes.Usage;
            }
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            context.ReportError(e.Message);
            return e.ExitCode;
        }
        catch (CamRequestException e)
        {
            context.ReportError(e.Message);
            return ExitCodes.Of(e.Kind);
        }
        catch (Exception e) when (e is ModelCatalogException or PhotoDecodeException)
        {
            context.ReportError(e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            context.ReportError($"unexpected error ({e.GetType().Name}): {e.Message}");
            if (!string.IsNullOrEmpty(context.Environment(DebugVariable)))
                error.WriteLine(e.ToString());
            return ExitCodes.Failure;
        }
    }

    /// <summary>The most telling parse error (an unknown token before a missing one), in plain words.</summary>
    private static string ParseErrorMessage(ParseResult parse)
    {
        string message = (parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0]).Message;
        return message
            .Replace("as expected type 'System.Single'", "as a number", StringComparison.Ordinal)
            .Replace("as expected type 'System.Int32'", "as a whole number", StringComparison.Ordinal);
    }

    /// <summary>An <see cref="ArgumentException"/>'s message without the " (Parameter 'x')" suffix.</summary>
    internal static string UserMessage(ArgumentException e)
    {
        string message = e.Message;
        string suffix = $" (Parameter '{e.ParamName}')";
        return e.ParamName is not null && message.EndsWith(suffix, StringComparison.Ordinal) ? message[..^suffix.Length] : message;
    }

    private static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("CamStudio: class activation maps (CAM, Grad-CAM, ...) for image classifiers.");
        foreach (Option option in root.Options)
        {
            if (option is VersionOption version)
                version.Action = new VersionAction(context);
        }
        root.Subcommands.Add(ExplainCommandLine(context));
        root.Subcommands.Add(LayersCommandLine(context));
        root.Subcommands.Add(ConceptsCommand.CommandLine(context));
        root.Subcommands.Add(MethodsCommandLine(context));
        root.Subcommands.Add(ModelsCommandLine(context));
        root.Subcommands.Add(EvaluateCommandLines.Evaluate(context));
        root.Subcommands.Add(EvaluateCommandLines.Recommend(context));
        var info = new Command("info", "Show the version, the torch device and the models folder.");
        info.Options.Add(ModelsDirOption());
        info.SetAction(parse => Info(context, parse.GetValue<string?>("--models-dir")));
        root.Subcommands.Add(info);
        return root;
    }

    private static Command ExplainCommandLine(CliContext context)
    {
        var images = new Argument<string[]>("IMAGE") { Arity = ArgumentArity.OneOrMore, Description = "Photos to explain (PNG, JPEG, BMP, GIF, WebP, TIFF), or folders of them (the photos directly inside)." };
        var model = ModelOption();
        var weights = WeightsOption();
        var method = new Option<string>("--method")
        {
            Description = $"CAM methods, comma-separated: {string.Join(", ", CamMethods.Ids)}.",
            DefaultValueFactory = _ => "gradcam",
        };
        var classes = new Option<string>("--class")
        {
            Description = "Classes to explain: top1, top3, topK, or class indices / names separated by ';' or ',' (a label with commas, e.g. 'tabby, tabby cat', may be given whole).",
            DefaultValueFactory = _ => "top1",
        };
        var layer = new Option<string?>("--layer")
        {
            Description = "Layer to map: auto (the last spatial layer) or a name from 'camstudio layers'; several, comma-separated, are fused (--fuse). Default: the model's defaultLayer from its model.json (auto unless set).",
        };
        var fuse = new Option<string?>("--fuse") { Description = "How several --layer maps are fused: mean (default), max, layercam or refine." };
        var augSmooth = new Option<bool>("--aug-smooth") { Description = "Average each map over horizontal flip × intensity 0.9/1/1.1 (six passes, batched)." };
        var eigenSmooth = new Option<bool>("--eigen-smooth") { Description = "First principal component of each method's channel terms instead of their sum." };
        var guided = new Option<bool>("--guided") { Description = "Also write guided backpropagation (<stem>.guided.<class>.png) and Guided Grad-CAM (<stem>.<method>.<class>.guided.png)." };
        var colormap = new Option<string>("--colormap")
        {
            Description = $"Overlay colours: {string.Join(", ", Colormap.All.Select(c => c.Name))}.",
            DefaultValueFactory = _ => "jet",
        };
        var alpha = new Option<float>("--alpha") { Description = "Overlay opacity, 0 to 1.", DefaultValueFactory = _ => 0.5f };
        var output = new Option<string>("--out") { Description = "Output folder (created if missing).", Required = true };
        var modelsDir = ModelsDirOption();
        var batchSize = new Option<int>("--batch-size") { Description = "Photos per forward pass.", DefaultValueFactory = _ => 8 };
        var sharedScale = new Option<bool>("--shared-scale")
        {
            Description = "Colour and normalise each method's maps of a photo (all its classes) on one range per method instead of each map's own min-max. Raw values compare within a method, not across methods, so no range is shared between methods.",
        };

        var methodOptions = new Option<string[]>("--option")
        {
            Description = "A method option as name=value, e.g. --option samples=35, or sscam.samples=35 for one method (repeatable); 'camstudio methods' lists them.",
            Arity = ArgumentArity.ZeroOrMore,
        };

        var command = new Command("explain", "Write CAM overlays (.png), maps (.npy) and predictions.json for photos.")
        {
            images, model, weights, method, classes, layer, colormap, alpha, output, modelsDir, batchSize, sharedScale, methodOptions,
            fuse, augSmooth, eigenSmooth, guided,
        };
        command.SetAction(parse => ExplainCommand.Run(new ExplainSettings(
            PhotoArguments.Expand(parse.GetValue(images)),
            parse.GetValue(model),
            parse.GetValue(weights),
            parse.GetValue(method)!,
            parse.GetValue(classes)!,
            parse.GetValue(layer),
            parse.GetValue(colormap)!,
            parse.GetValue(alpha),
            parse.GetValue(output)!,
            parse.GetValue(modelsDir),
            parse.GetValue(batchSize),
            parse.GetValue(sharedScale),
            parse.GetValue(methodOptions) ?? [],
            new FeatureSettings(parse.GetValue(fuse), parse.GetValue(augSmooth), parse.GetValue(eigenSmooth), parse.GetValue(guided))), context));
        return command;
    }

    private static Command LayersCommandLine(CliContext context)
    {
        var model = ModelOption();
        var weights = WeightsOption();
        var modelsDir = ModelsDirOption();
        var command = new Command("layers", "List a model's capturable layers with output shapes; the automatic choice is marked.") { model, weights, modelsDir };
        command.SetAction(parse => LayersCommand.Run(parse.GetValue(model), parse.GetValue(weights), parse.GetValue(modelsDir), context));
        return command;
    }

    private static Command MethodsCommandLine(CliContext context)
    {
        var model = new Option<string?>("--model") { Description = "Say which methods apply to this model (name in the models folder, a folder, an .onnx file or a torchvision architecture)." };
        var weights = WeightsOption();
        var layer = new Option<string?>("--layer") { Description = "With --model: the layer to check (default: the model's default layer)." };
        var modelsDir = ModelsDirOption();
        var command = new Command("methods", "List the CAM methods with their papers and options; with --model, which apply and why not.") { model, weights, layer, modelsDir };
        command.SetAction(parse => MethodsCommand.Run(parse.GetValue(model), parse.GetValue(weights), parse.GetValue(layer), parse.GetValue(modelsDir), context));
        return command;
    }

    private static Command ModelsCommandLine(CliContext context)
    {
        var listDir = ModelsDirOption();
        var models = new Command("models", "List the models in the models folder (name, format, classes, source, status).") { listDir };
        models.SetAction(parse => ModelsCommand.List(parse.GetValue(listDir), context));

        var file = new Argument<string>("FILE") { Description = "An .onnx model, or a weights file (.pt, .pth, .safetensors, .dat) with --arch." };
        var labels = new Option<string?>("--labels") { Description = "Class names file, one per line in output order." };
        var name = new Option<string?>("--name") { Description = "Model name (default: the file name)." };
        var inputSize = new Option<int>("--input-size")
        {
            Description = "Square input size in pixels (default: the model's own: an ONNX graph's fixed input size, the torchvision architecture's; else 224).",
        };
        var output = new Option<string?>("--output") { Description = "The ONNX output holding the logits, when the model has several." };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean R,G,B (default ImageNet's 0.485,0.456,0.406)." };
        var std = new Option<string?>("--std") { Description = "Per-channel std R,G,B (default ImageNet's 0.229,0.224,0.225)." };
        var resize = new Option<string>("--resize") { Description = "stretch or center-crop.", DefaultValueFactory = _ => "stretch" };
        var arch = new Option<string?>("--arch") { Description = "torchvision architecture of a weights file, e.g. resnet18." };
        var ifMissing = new Option<bool>("--if-missing") { Description = "Succeed quietly when a model of that name is already there." };
        var force = new Option<bool>("--force") { Description = "Replace a model of the same name." };
        var addDir = ModelsDirOption();
        var add = new Command("add", "Copy a model into the models folder (validated; atomic).")
        {
            file, labels, name, inputSize, mean, std, resize, arch, ifMissing, force, addDir, output,
        };
        add.SetAction(parse => ModelsCommand.Add(new AddSettings(
            parse.GetValue(file)!,
            parse.GetValue(labels),
            parse.GetValue(name),
            // Absent means the model's own size, which the catalog reads from the model.
            parse.GetResult(inputSize) is null ? null : parse.GetValue(inputSize),
            parse.GetValue(mean),
            parse.GetValue(std),
            parse.GetValue(resize)!,
            parse.GetValue(arch),
            parse.GetValue(ifMissing),
            parse.GetValue(force),
            parse.GetValue(addDir),
            parse.GetValue(output)), context));
        models.Subcommands.Add(add);

        var pullName = new Argument<string>("NAME")
        {
            Description = $"Model to download: {string.Join(", ", ModelPuller.Known.Keys)}.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => ModelCatalog.DefaultModelName,
        };
        var baseUrl = new Option<string?>("--base-url") { Description = "Download the model file and labels from this address instead." };
        var labelsUrl = new Option<string?>("--labels-url") { Description = "Download the labels from this address instead." };
        var pullForce = new Option<bool>("--force") { Description = "Download again and replace the model if it is there." };
        var pullDir = ModelsDirOption();
        var pull = new Command("pull", "Download a known model (SHA-256 checked) with its labels into the models folder.")
        {
            pullName, baseUrl, labelsUrl, pullForce, pullDir,
        };
        pull.SetAction(parse => ModelsCommand.PullAsync(
            parse.GetValue(pullName)!,
            parse.GetValue(baseUrl),
            parse.GetValue(labelsUrl),
            parse.GetValue(pullForce),
            parse.GetValue(pullDir),
            context,
            CancellationToken.None).GetAwaiter().GetResult());
        models.Subcommands.Add(pull);
        return models;
    }

    private static int Info(CliContext context, string? modelsDir)
    {
        context.Out.WriteLine($"camstudio {Version}");
        context.Out.WriteLine($"torch device: {TorchRuntime.Describe()}");
        context.Out.WriteLine($"models folder: {context.Catalog(modelsDir).Folder.Describe()}");
        context.Out.WriteLine($"methods: {string.Join(", ", CamMethods.Ids)}");
        return ExitCodes.Success;
    }

    internal static Option<string?> ModelOption() =>
        new("--model") { Description = $"Model name in the models folder, a model folder, an .onnx file, or a torchvision architecture with --weights (default {ModelCatalog.DefaultModelName})." };

    internal static Option<string?> WeightsOption() =>
        new("--weights") { Description = "Weights file (.pt, .pth, .safetensors, .dat) for the architecture given with --model." };

    internal static Option<string?> ModelsDirOption() =>
        new("--models-dir") { Description = $"Models folder (default: ${ModelsFolder.EnvironmentVariable}, else the per-user data folder)." };

    /// <summary>--version: the version and the torch device, so a user can see which libtorch build runs.</summary>
    private sealed class VersionAction(CliContext context) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            context.Out.WriteLine($"camstudio {Version} ({TorchRuntime.Describe()})");
            return ExitCodes.Success;
        }
    }
}
