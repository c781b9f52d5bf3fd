using System.Globalization;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Catalog;

namespace CamStudio.Cli;

/// <summary>What <c>camstudio models add</c> was asked to do.</summary>
internal sealed record AddSettings(
    string File,
    string? Labels,
    string? Name,
    int? InputSize,
    string? Mean,
    string? Std,
    string Resize,
    string? Architecture,
    bool IfMissing,
    bool Force,
    string? ModelsDir,
    string? Output = null);

/// <summary><c>camstudio models</c> (list), <c>models add</c> and <c>models pull</c>.</summary>
internal static class ModelsCommand
{
    public static int List(string? modelsDir, CliContext context)
    {
        ModelCatalog catalog = context.Catalog(modelsDir);
        context.Out.WriteLine($"Models folder: {catalog.Folder.Describe()}");
        IReadOnlyList<CatalogEntry> entries = catalog.List();
        if (entries.Count == 0)
        {
            context.Out.WriteLine(
                $"No models yet. Add one with 'camstudio models pull {ModelCatalog.DefaultModelName}' or 'camstudio models add FILE.onnx --labels LABELS.txt --name NAME'.");
            return ExitCodes.Success;
        }
        var rows = entries.Select(e => new[]
        {
            e.Name,
            e.Manifest is null ? "?" : ModelManifest.FormatText(e.Manifest.Format) + (e.Manifest.Architecture is null ? "" : $" ({e.Manifest.Architecture})"),
            e.ClassCount?.ToString(CultureInfo.InvariantCulture) ?? "-",
            e.Manifest?.Source ?? "-",
            e.Status,
        }).ToList();
        string[] header = ["NAME", "FORMAT", "CLASSES", "SOURCE", "STATUS"];
        int[] widths = Enumerable.Range(0, 4).Select(c => Math.Max(header[c].Length, rows.Max(r => r[c].Length))).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Take(4).Select((c, i) => c.PadRight(widths[i]))) + "  " + cells[4];
        context.Out.WriteLine(Line(header));
        foreach (string[] row in rows)
            context.Out.WriteLine(CliContext.OneLine(Line(row)));
        return ExitCodes.Success;
    }

    public static int Add(AddSettings settings, CliContext context)
    {
        if (!ModelManifest.TryParseResize(settings.Resize, out ResizeMode resize))
            throw new CliException($"--resize must be stretch or center-crop, not '{settings.Resize}'.");
        if (settings.IfMissing && settings.Force)
            throw new CliException("--if-missing and --force contradict each other; give one.");
        var options = new AddModelOptions
        {
            Name = settings.Name,
            Labels = settings.Labels,
            Architecture = settings.Architecture,
            InputSize = settings.InputSize,
            Output = settings.Output,
            Mean = ParseTriple("--mean", settings.Mean),
            Std = ParseTriple("--std", settings.Std),
            Resize = resize,
            IfMissing = settings.IfMissing,
            Force = settings.Force,
        };
        ModelCatalog catalog = context.Catalog(settings.ModelsDir);
        AddModelResult result;
        try
        {
            result = catalog.Add(settings.File, options);
        }
        catch (ModelCatalogException e)
        {
            throw new CliException(e.Message, ExitCodes.Failure);
        }
        if (!result.Added)
            return ExitCodes.Success; // --if-missing and it is there: succeed quietly (scripts/start.sh)
        context.Out.WriteLine($"{(result.Replaced ? "Replaced" : "Added")} {Describe(result.Entry)} in {catalog.Directory}.");
        return ExitCodes.Success;
    }

    public static async Task<int> PullAsync(string name, string? baseUrl, string? labelsUrl, bool force, string? modelsDir, CliContext context, CancellationToken cancellationToken)
    {
        Uri? baseUri = ParseUrl("--base-url", baseUrl);
        Uri? labelsUri = ParseUrl("--labels-url", labelsUrl);
        ModelCatalog catalog = context.Catalog(modelsDir);
        var puller = new ModelPuller(catalog);
        AddModelResult result;
        try
        {
            if (ModelPuller.Known.TryGetValue(name, out PullableModel? known) && (force || catalog.Find(known.Name) is not { IsUsable: true }))
                context.Out.WriteLine($"Downloading {known.Description} from {(baseUri is null ? known.ModelUri : baseUri)} ...");
            result = await puller.PullAsync(name, baseUri, new PullOptions
            {
                LabelsUri = labelsUri,
                Force = force,
            }, cancellationToken);
        }
        catch (ModelCatalogException e)
        {
            throw new CliException(e.Message, ExitCodes.Failure);
        }
        if (!result.Added)
        {
            context.Out.WriteLine($"'{result.Entry.Name}' is already in {catalog.Directory}; use --force to download it again.");
            return ExitCodes.Success;
        }
        context.Out.WriteLine($"{(result.Replaced ? "Replaced" : "Added")} {Describe(result.Entry)} in {catalog.Directory} (SHA-256 verified).");
        return ExitCodes.Success;
    }

    private static string Describe(CatalogEntry entry)
    {
        ModelManifest m = entry.Manifest!;
        string classes = entry.ClassCount is int n ? $", {n} classes" : "";
        string architecture = m.Architecture is null ? "" : $" {m.Architecture}";
        return $"'{entry.Name}' ({ModelManifest.FormatText(m.Format)}{architecture}{classes}, input {m.InputSize})";
    }

    private static float[]? ParseTriple(string option, string? text)
    {
        if (text is null)
            return null;
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new CliException($"{option} needs 3 comma-separated numbers (R,G,B), not '{text}'.");
        }
        if (values.Length != 3)
            throw new CliException($"{option} needs 3 comma-separated numbers (R,G,B), not '{text}'.");
        return values;
    }

    private static Uri? ParseUrl(string option, string? text)
    {
        if (text is null)
            return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new CliException($"{option} must be an http:// or https:// address, not '{text}'.");
        return uri;
    }
}
