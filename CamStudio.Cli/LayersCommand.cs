using CamStudio.Engine;
using CamStudio.Engine.Models;

namespace CamStudio.Cli;

/// <summary><c>camstudio layers</c>: the capturable layers of a model with output shapes (from <see cref="CamEngine"/>), the automatic choice marked.</summary>
internal static class LayersCommand
{
    public const string AutoRule = "* = the automatic choice (--layer auto): ";

    public const string GridMark = "# = a token grid (the auto layer may be one too), explained as the N×C×H×W map after the arrow: ";

    public static int Run(string? modelName, string? weights, string? modelsDir, CliContext context)
    {
        using var cli = new CliEngine(context.Catalog(modelsDir));
        (string model, _) = cli.ModelAsync(modelName, weights, CancellationToken.None).GetAwaiter().GetResult();
        EngineModelDetails details = cli.Engine.GetModelAsync(model).GetAwaiter().GetResult();
        string auto = details.AutoLayer;

        var p = details.Preprocessing;
        context.Out.WriteLine($"Layers of {DisplayText.EscapeControl(details.Name)} (input 1×3×{p.InputHeight}×{p.InputWidth}, {details.Labels.Count} classes), in execution order:");
        // Layer names come from the model file: escaped, so a name cannot move the cursor or recolour the terminal.
        int nameWidth = Math.Min(60, details.Layers.Max(l => DisplayText.EscapeControl(l.Name).Length));
        int shapeWidth = details.Layers.Max(l => ShapeColumn(l).Length);
        foreach (LayerInfo layer in details.Layers)
        {
            string mark = layer.Name == auto ? "*" : layer.Grid is null ? " " : "#";
            string scope = layer.Scope is null ? "" : "  " + DisplayText.EscapeControl(layer.Scope);
            context.Out.WriteLine($"{mark} {DisplayText.EscapeControl(layer.Name).PadRight(nameWidth)}  {ShapeColumn(layer).PadRight(shapeWidth)}  {DisplayText.EscapeControl(layer.Kind)}{scope}");
        }
        context.Out.WriteLine(AutoRule + details.AutoLayerRule + ".");
        if (details.Layers.Any(l => l.Grid is not null))
            context.Out.WriteLine(GridMark + TokenGrid.Rule);
        return ExitCodes.Success;
    }

    private static string ShapeColumn(LayerInfo layer) =>
        layer.Grid is null ? layer.ShapeText : $"{layer.ShapeText} → {string.Join("×", layer.MapShape)} ({layer.Grid.Text})";
}
