using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Models;

namespace CamStudio.Cli;

/// <summary>
/// <c>camstudio methods</c>: every CAM method with its paper and options; with <c>--model</c> (and <c>--layer</c>),
/// whether each applies there and, when not, why — the engine's own answer, as the studio and API show it.
/// </summary>
internal static class MethodsCommand
{
    public static int Run(string? modelName, string? weights, string? layer, string? modelsDir, CliContext context)
    {
        using var cli = new CliEngine(context.Catalog(modelsDir));
        IReadOnlyList<MethodAvailability> methods;
        string? where = null;
        if (modelName is null && weights is null)
        {
            methods = [.. cli.Engine.Methods.All.Select(m => new MethodAvailability(m.Id, m.DisplayName, m.Paper, m.Requirements, true, null) { Options = m.Options })];
        }
        else
        {
            (string model, string? defaultLayer) = cli.ModelAsync(modelName, weights, CancellationToken.None).GetAwaiter().GetResult();
            methods = cli.Engine.MethodsForAsync(model, layer ?? defaultLayer).GetAwaiter().GetResult();
            where = $" on {DisplayText.EscapeControl(model)}" + (layer is null ? "" : $" at {DisplayText.EscapeControl(layer)}");
        }

        context.Out.WriteLine($"CAM methods{where} (use the id with --method; options with --option name=value):");
        int idWidth = methods.Max(m => m.Id.Length);
        foreach (MethodAvailability method in methods)
        {
            string status = method.IsAvailable ? (method.IsSlow ? "  [slow: extra forward passes]" : "") : "  [not available]";
            context.Out.WriteLine($"  {method.Id.PadRight(idWidth)}  {method.DisplayName} — {method.Paper}{status}");
            if (!method.IsAvailable && method.Reason is { } reason)
                context.Out.WriteLine($"  {"".PadRight(idWidth)}    {DisplayText.EscapeControl(reason)}");
            foreach (MethodOption option in method.Options)
            {
                context.Out.WriteLine($"  {"".PadRight(idWidth)}    --option {option.Name}={Default(option)}  " +
                                      $"{option.Description} ({option.RangeText})");
            }
        }
        return ExitCodes.Success;
    }

    private static string Default(MethodOption option) =>
        option.Default.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);
}
