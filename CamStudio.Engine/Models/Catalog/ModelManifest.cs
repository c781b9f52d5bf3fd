using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CamStudio.Engine.Imaging;

namespace CamStudio.Engine.Models.Catalog;

/// <summary>How a model's file is stored.</summary>
public enum ModelFormat
{
    /// <summary>An .onnx classifier, imported by <c>OnnxCamModel</c>.</summary>
    Onnx,

    /// <summary>A torchvision architecture (by name) plus a weights file (.pt/.pth state dict, .safetensors, TorchSharp .dat).</summary>
    TorchVision,
}

/// <summary>
/// The <c>model.json</c> manifest of one model in the models folder. Read strictly: an unknown field, a field of
/// the wrong type or a value out of range is an error that names the field.
/// </summary>
public sealed partial record ModelManifest
{
    public const string FileName = "model.json";

    /// <summary>Every field a manifest may have, in the order they are written.</summary>
    public static IReadOnlyList<string> Fields { get; } =
        ["name", "format", "architecture", "file", "labels", "inputSize", "mean", "std", "resize", "defaultLayer", "output", "license", "source", "sha256"];

    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    /// <summary>Model name = its folder's name: letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64.</summary>
    public required string Name { get; init; }

    public required ModelFormat Format { get; init; }

    /// <summary>torchvision architecture name (e.g. "resnet18"); required for <see cref="ModelFormat.TorchVision"/>, absent for ONNX.</summary>
    public string? Architecture { get; init; }

    /// <summary>The model (ONNX) or weights (torchvision) file name, inside the model's folder.</summary>
    public required string File { get; init; }

    /// <summary>Class names file (one per line, in output order) inside the model's folder, or null.</summary>
    public string? Labels { get; init; }

    /// <summary>Square input side in pixels.</summary>
    public int InputSize { get; init; } = 224;

    public float[] Mean { get; init; } = ImageNetMean;

    public float[] Std { get; init; } = ImageNetStd;

    public ResizeMode Resize { get; init; } = ResizeMode.Stretch;

    /// <summary>"auto" or a layer name.</summary>
    public string DefaultLayer { get; init; } = "auto";

    /// <summary>The ONNX output holding the logits, for graphs with several that CamStudio cannot tell apart; null otherwise.</summary>
    public string? Output { get; init; }

    public string? License { get; init; }

    /// <summary>Where the model came from (URL or description).</summary>
    public string? Source { get; init; }

    /// <summary>Lower-case hex SHA-256 of <see cref="File"/>, checked when the model loads.</summary>
    public string? Sha256 { get; init; }

    public PreprocessingSpec Preprocessing => new(InputSize, InputSize, Mean, Std, Resize);

    /// <summary>True when <paramref name="name"/> can be a model name (and so a folder name).</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>"stretch" or "centerCrop", as written in manifests.</summary>
    public static string ResizeText(ResizeMode resize) => resize == ResizeMode.CenterCrop ? "centerCrop" : "stretch";

    /// <summary>Parses "stretch", "centerCrop" or "center-crop" (any case).</summary>
    public static bool TryParseResize(string? text, out ResizeMode resize)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "stretch":
                resize = ResizeMode.Stretch;
                return true;
            case "centercrop" or "center-crop":
                resize = ResizeMode.CenterCrop;
                return true;
            default:
                resize = ResizeMode.Stretch;
                return false;
        }
    }

    public static string FormatText(ModelFormat format) => format == ModelFormat.Onnx ? "onnx" : "torchvision";

    /// <summary>Reads and validates <paramref name="path"/>; errors name the file.</summary>
    public static ModelManifest Read(string path)
    {
        string json;
        try
        {
            json = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelCatalogException($"{path}: cannot be read ({e.Message}).", e);
        }
        return Parse(json, path);
    }

    /// <summary>Parses and validates manifest JSON; <paramref name="origin"/> (usually the path) starts every error message.</summary>
    public static ModelManifest Parse(string json, string origin)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new ModelCatalogException($"{origin}: not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Error(origin, $"must be a JSON object, not {Describe(root.ValueKind)}");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            string? name = null, architecture = null, file = null, labels = null, license = null, source = null, sha256 = null, output = null;
            string defaultLayer = "auto";
            ModelFormat? format = null;
            int inputSize = 224;
            float[] mean = ImageNetMean, std = ImageNetStd;
            ResizeMode resize = ResizeMode.Stretch;

            foreach (JsonProperty property in root.EnumerateObject())
            {
                string field = property.Name;
                if (!seen.Add(field))
                    throw Error(origin, $"field '{field}' appears twice");
                JsonElement value = property.Value;
                switch (field)
                {
                    case "name":
                        name = RequiredString(origin, field, value);
                        if (!IsValidName(name))
                            throw Error(origin, $"field 'name' is \"{name}\", but a model name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
                        break;
                    case "format":
                        string formatText = RequiredString(origin, field, value);
                        format = formatText switch
                        {
                            "onnx" => ModelFormat.Onnx,
                            "torchvision" => ModelFormat.TorchVision,
                            _ => throw Error(origin, $"field 'format' is \"{formatText}\"; expected \"onnx\" or \"torchvision\""),
                        };
                        break;
                    case "architecture":
                        architecture = OptionalString(origin, field, value);
                        break;
                    case "file":
                        file = FileNameValue(origin, field, RequiredString(origin, field, value));
                        break;
                    case "labels":
                        string? labelsText = OptionalString(origin, field, value);
                        labels = labelsText is null ? null : FileNameValue(origin, field, labelsText);
                        break;
                    case "inputSize":
                        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out inputSize) || inputSize < 8 || inputSize > 4096)
                            throw Error(origin, $"field 'inputSize' must be a whole number from 8 to 4096, not {value.GetRawText()}");
                        break;
                    case "mean":
                        mean = ChannelTriple(origin, field, value, mustBePositive: false);
                        break;
                    case "std":
                        std = ChannelTriple(origin, field, value, mustBePositive: true);
                        break;
                    case "resize":
                        string resizeText = RequiredString(origin, field, value);
                        if (!TryParseResize(resizeText, out resize))
                            throw Error(origin, $"field 'resize' is \"{resizeText}\"; expected \"stretch\" or \"centerCrop\"");
                        break;
                    case "defaultLayer":
                        defaultLayer = RequiredString(origin, field, value);
                        break;
                    case "output":
                        output = OptionalString(origin, field, value);
                        break;
                    case "license":
                        license = OptionalString(origin, field, value);
                        break;
                    case "source":
                        source = OptionalString(origin, field, value);
                        break;
                    case "sha256":
                        sha256 = OptionalString(origin, field, value);
                        if (sha256 is not null && !Sha256Pattern().IsMatch(sha256))
                            throw Error(origin, $"field 'sha256' must be 64 hexadecimal digits, not \"{sha256}\"");
                        sha256 = sha256?.ToLowerInvariant();
                        break;
                    default:
                        throw Error(origin, $"unknown field '{field}' (known fields: {string.Join(", ", Fields)})");
                }
            }

            if (name is null)
                throw Error(origin, "required field 'name' is missing");
            if (format is null)
                throw Error(origin, "required field 'format' is missing (\"onnx\" or \"torchvision\")");
            if (file is null)
                throw Error(origin, "required field 'file' is missing");
            if (format == ModelFormat.TorchVision && architecture is null)
                throw Error(origin, "a \"torchvision\" model needs the field 'architecture' (e.g. \"resnet18\")");
            if (format == ModelFormat.Onnx && architecture is not null)
                throw Error(origin, "field 'architecture' only applies to \"torchvision\" models, not \"onnx\"");
            if (format == ModelFormat.TorchVision && output is not null)
                throw Error(origin, "field 'output' only applies to \"onnx\" models, not \"torchvision\"");

            return new ModelManifest
            {
                Name = name,
                Format = format.Value,
                Architecture = architecture,
                File = file,
                Labels = labels,
                InputSize = inputSize,
                Mean = mean,
                Std = std,
                Resize = resize,
                DefaultLayer = defaultLayer,
                Output = output,
                License = license,
                Source = source,
                Sha256 = sha256,
            };
        }
    }

    /// <summary>The manifest as indented JSON (fields in <see cref="Fields"/> order, absent optional fields left out).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("name", Name);
            writer.WriteString("format", FormatText(Format));
            if (Architecture is not null)
                writer.WriteString("architecture", Architecture);
            writer.WriteString("file", File);
            if (Labels is not null)
                writer.WriteString("labels", Labels);
            writer.WriteNumber("inputSize", InputSize);
            WriteTriple(writer, "mean", Mean);
            WriteTriple(writer, "std", Std);
            writer.WriteString("resize", ResizeText(Resize));
            writer.WriteString("defaultLayer", DefaultLayer);
            if (Output is not null)
                writer.WriteString("output", Output);
            if (License is not null)
                writer.WriteString("license", License);
            if (Source is not null)
                writer.WriteString("source", Source);
            if (Sha256 is not null)
                writer.WriteString("sha256", Sha256);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteTriple(Utf8JsonWriter writer, string name, float[] values)
    {
        writer.WriteStartArray(name);
        foreach (float v in values)
            // Shortest round-trip text of the float ("0.485", not 0.48500001430511475).
            writer.WriteRawValue(v.ToString("R", CultureInfo.InvariantCulture));
        writer.WriteEndArray();
    }

    private static string RequiredString(string origin, string field, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw Error(origin, $"field '{field}' must be a string, not {Describe(value.ValueKind)}");
        string text = value.GetString()!;
        if (string.IsNullOrWhiteSpace(text))
            throw Error(origin, $"field '{field}' is empty");
        return text;
    }

    private static string? OptionalString(string origin, string field, JsonElement value) =>
        value.ValueKind == JsonValueKind.Null ? null : RequiredString(origin, field, value);

    private static string FileNameValue(string origin, string field, string fileName)
    {
        // A manifest only points inside its own folder.
        if (fileName is "." or ".." || fileName.IndexOfAny(['/', '\\']) >= 0 || fileName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw Error(origin, $"field '{field}' must be a plain file name inside the model's folder, not \"{fileName}\"");
        return fileName;
    }

    private static float[] ChannelTriple(string origin, string field, JsonElement value, bool mustBePositive)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 3)
            throw Error(origin, $"field '{field}' must be an array of 3 numbers (R, G, B), not {value.GetRawText()}");
        var result = new float[3];
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number)
                throw Error(origin, $"field '{field}' must be an array of 3 numbers (R, G, B), not {value.GetRawText()}");
            double v = item.GetDouble();
            if (!double.IsFinite(v) || (mustBePositive && v <= 0))
                throw Error(origin, $"field '{field}' has {item.GetRawText()}; every value must be {(mustBePositive ? "greater than 0" : "finite")}");
            result[i++] = (float)v;
        }
        return result;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static ModelCatalogException Error(string origin, string problem) => new($"{origin}: {problem}.");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Pattern();
}
