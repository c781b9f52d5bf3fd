using CamStudio.Engine.Models;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;

namespace CamStudio.Cli;

/// <summary><c>camstudio layers</c>: the capturable layers of a model with output shapes, the automatic choice marked.</summary>
internal static class LayersCommand
{
    public const string AutoRule =
        "* = the automatic choice (--layer auto): the last layer, in execution order, whose output is a spatial map (N×C×H×W with H×W > 1), i.e. the last feature map before global pooling.";

    public static int Run(string? modelName, string? weights, string? modelsDir, CliContext context)
    {
        ModelCatalog catalog = context.Catalog(modelsDir);
        using ICamModel model = ExplainCommand.LoadModel(catalog, modelName ?? ModelCatalog.DefaultModelName, weights, TorchRuntime.DefaultDevice);
        string? auto = null;
        try
        {
            auto = model.AutoLayer;
        }
        catch (InvalidOperationException)
        {
            // A model without any spatial layer: listed without a mark.
        }

        var p = model.Preprocessing;
        context.Out.WriteLine($"Layers of {DisplayText.EscapeControl(model.Name)} (input 1×3×{p.InputHeight}×{p.InputWidth}, {model.Labels.Count} classes), in execution order:");
        // Layer names come from the model file: escaped, so a name cannot move the cursor or recolour the terminal.
        int nameWidth = Math.Min(60, model.Layers.Max(l => DisplayText.EscapeControl(l.Name).Length));
        int shapeWidth = model.Layers.Max(l => l.ShapeText.Length);
        foreach (LayerInfo layer in model.Layers)
        {
            string mark = layer.Name == auto ? "*" : " ";
            context.Out.WriteLine($"{mark} {DisplayText.EscapeControl(layer.Name).PadRight(nameWidth)}  {layer.ShapeText.PadRight(shapeWidth)}  {DisplayText.EscapeControl(layer.Kind)}");
        }
        context.Out.WriteLine(auto is null ? "No layer has a spatial output, so this model has nothing to map." : AutoRule);
        return ExitCodes.Success;
    }
}
