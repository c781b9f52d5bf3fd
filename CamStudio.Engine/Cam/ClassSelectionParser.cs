using System.Globalization;
using System.Text.RegularExpressions;
using CamStudio.Engine.Models;

namespace CamStudio.Engine.Cam;

/// <summary>A class selection that does not fit the model; the message says what was wrong, ready to show as is.</summary>
public sealed class ClassSelectionException(string message) : ArgumentException(message);

/// <summary>
/// Reads a class selection, the one syntax of the CLI's <c>--class</c>, the HTTP API's <c>classes</c> and batch
/// jobs: <c>top1</c>, <c>top3</c>, <c>topK</c> (alone), or class indices and names separated by <c>;</c> or
/// <c>,</c>. A name matches a whole label or one of its comma-separated synonyms, case-insensitively. Since labels
/// hold commas ("tabby, tabby cat"), a comma-separated run that together forms a whole label is read as that label,
/// the longest run first.
/// </summary>
public static partial class ClassSelectionParser
{
    /// <summary>
    /// The selection for a model with <paramref name="labels"/>; an empty, unknown, ambiguous or out-of-range class,
    /// or topK mixed with other classes, is a <see cref="ClassSelectionException"/>.
    /// </summary>
    public static ClassSelection Parse(string text, IReadOnlyList<string> labels, string modelName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(labels);
        List<string[]> groups = [.. text.Split(';')
            .Select(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(g => g.Length > 0)];
        if (groups.Count == 0)
            throw new ClassSelectionException("No classes given; use top1, top3, topK, class indices or class names.");

        string? top = groups.SelectMany(g => g).FirstOrDefault(item => TopPattern().IsMatch(item));
        if (top is not null)
        {
            if (groups.Sum(g => g.Length) > 1)
                throw new ClassSelectionException($"Classes '{text.Trim()}' mix {top} with other classes; use topK alone, or list class indices/names.");
            return ParseTopK(top, labels, modelName);
        }

        var indices = new List<int>();
        foreach (string[] items in groups)
        {
            for (int i = 0; i < items.Length;)
            {
                (int index, int used) = ResolveItem(items, i, labels, modelName);
                if (!indices.Contains(index))
                    indices.Add(index);
                i += used;
            }
        }
        return new ClassSelection.Indices(indices);
    }

    private static ClassSelection ParseTopK(string top, IReadOnlyList<string> labels, string modelName)
    {
        int k = int.TryParse(TopPattern().Match(top).Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) ? parsed : int.MaxValue;
        if (k < 1)
            throw new ClassSelectionException($"'{top}': K must be between 1 and {labels.Count}.");
        if (k > labels.Count)
            throw new ClassSelectionException($"{top} asks for more classes than model '{modelName}' has ({labels.Count}).");
        return new ClassSelection.TopK(k);
    }

    /// <summary>The class of the item at <paramref name="start"/> and how many comma-separated items it took.</summary>
    private static (int Index, int Used) ResolveItem(string[] items, int start, IReadOnlyList<string> labels, string modelName)
    {
        string item = items[start];
        if (IntegerPattern().IsMatch(item))
        {
            if (!int.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index) || index < 0 || index >= labels.Count)
                throw new ClassSelectionException($"Class index {item} is out of range: model '{modelName}' has classes 0-{labels.Count - 1}.");
            return (index, 1);
        }
        for (int end = items.Length; end > start + 1; end--)
        {
            string run = string.Join(", ", items[start..end]);
            var labelled = Matching(labels, label => string.Equals(Normalized(label), run, StringComparison.OrdinalIgnoreCase));
            if (labelled.Count > 0)
                return (Single(labelled, run, labels, modelName), end - start);
        }
        return (ResolveName(item, labels, modelName), 1);
    }

    private static int ResolveName(string name, IReadOnlyList<string> labels, string modelName)
    {
        var whole = Matching(labels, label => string.Equals(label.Trim(), name, StringComparison.OrdinalIgnoreCase));
        if (whole.Count > 0)
            return Single(whole, name, labels, modelName);
        var synonyms = Matching(labels, label => Synonyms(label).Any(s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase)));
        if (synonyms.Count > 0)
            return Single(synonyms, name, labels, modelName);

        var containing = Matching(labels, label => label.Contains(name, StringComparison.OrdinalIgnoreCase));
        IEnumerable<int> suggestions = containing.Count > 0
            ? containing
            : Enumerable.Range(0, labels.Count)
                .Select(i => (Index: i, Distance: Synonyms(labels[i]).DefaultIfEmpty("").Min(s => LayerNames.EditDistance(name, s))))
                .OrderBy(c => c.Distance)
                .ThenBy(c => c.Index)
                .Select(c => c.Index);
        throw new ClassSelectionException(
            $"Unknown class '{name}' for model '{modelName}'. Did you mean {Describe(suggestions.Take(5).ToList(), labels)}? " +
            $"Give a class name, a class index (0-{labels.Count - 1}), or top1/top3.");
    }

    private static int Single(List<int> candidates, string name, IReadOnlyList<string> labels, string modelName) =>
        candidates.Count == 1
            ? candidates[0]
            : throw new ClassSelectionException(
                $"Class name '{name}' is ambiguous in model '{modelName}': {Describe(candidates, labels)}; give the class index instead.");

    private static List<int> Matching(IReadOnlyList<string> labels, Func<string, bool> predicate) =>
        Enumerable.Range(0, labels.Count).Where(i => predicate(labels[i])).ToList();

    private static IEnumerable<string> Synonyms(string label) =>
        label.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The label with its synonyms joined by ", ", as a comma-separated run is joined.</summary>
    private static string Normalized(string label) => string.Join(", ", Synonyms(label));

    private static string Describe(IReadOnlyList<int> indices, IReadOnlyList<string> labels) =>
        string.Join(", ", indices.Select(i => $"{i} ({labels[i]})"));

    [GeneratedRegex("^top(\\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex TopPattern();

    [GeneratedRegex("^[-+]?\\d+$")]
    private static partial Regex IntegerPattern();
}
