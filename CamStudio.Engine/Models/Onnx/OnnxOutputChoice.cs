using Onnx;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Which graph output holds the logits, for graphs with several (auxiliary heads, features, probabilities):
/// the one the user named; else the only output; else the only one called "logits" or "output" (any case); else the only
/// one declared 2-D (N × classes). Otherwise the choice is unclear and a classifier import asks for the output's name.
/// </summary>
internal static class OnnxOutputChoice
{
    private static readonly string[] LogitsNames = ["logits", "output"];

    /// <summary>The output names with the logits first (the rest in graph order), and why that choice is unclear (null when it is not).</summary>
    public static (string[] Outputs, string? Unclear) LogitsFirst(GraphProto graph, string file, string? requested)
    {
        string[] names = graph.Output.Select(o => o.Name).ToArray();
        string chosen;
        string? unclear = null;
        if (requested is not null)
            chosen = names.Contains(requested, StringComparer.Ordinal) ? requested
                : throw new OnnxImportException($"{file} has no output '{requested}'; its outputs are {Describe(graph)}.");
        else if (names.Length == 1)
            chosen = names[0];
        else if (names.Where(n => LogitsNames.Contains(n, StringComparer.OrdinalIgnoreCase)).ToArray() is [var named])
            chosen = named;
        else if (graph.Output.Where(o => Rank(o) == 2).ToArray() is [var matrix])
            chosen = matrix.Name;
        else
        {
            chosen = names[0];
            unclear = $"{file} has {names.Length} outputs ({Describe(graph)}) and none is clearly the logits (named 'logits' or " +
                "'output', or the only 2-D one); name the logits output with 'models add --output NAME' (manifest field 'output').";
        }
        return ([chosen, .. names.Where(n => n != chosen)], unclear);
    }

    private static int? Rank(ValueInfoProto output) => output.Type?.TensorType?.Shape is { } shape ? shape.Dim.Count : null;

    private static string Describe(GraphProto graph) => string.Join(", ", graph.Output.Select(o =>
        $"'{o.Name}' {(o.Type?.TensorType?.Shape is { } s ? string.Join("×", s.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString() : "N")) : "(shape not declared)")}"));
}

// The output choice of OnnxImportOptions (the record's quantisation options are in QuantizedOperators.cs).
public sealed partial record OnnxImportOptions
{
    /// <summary>The graph output holding the logits, when the graph has several and the rule of <see cref="OnnxOutputChoice"/> cannot tell.</summary>
    public string? Output { get; init; }
}
