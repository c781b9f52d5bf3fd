using System.Globalization;
using System.Text.RegularExpressions;
using CamStudio.Engine.Cam;

namespace CamStudio.Cli;

/// <summary>
/// The <c>--class</c> value: <c>top1</c>, <c>top3</c>, <c>topK</c>, or a comma-separated list of class indices and
/// class names (case-insensitive; a name matches a whole label or one of its comma-separated synonyms).
/// </summary>
internal sealed partial class ClassSpec
{
    private readonly int? _topK;
    private readonly IReadOnlyList<string> _items;

    private ClassSpec(int? topK, IReadOnlyList<string> items)
    {
        _topK = topK;
        _items = items;
    }

    /// <summary>Checks the syntax; names and index ranges are checked against a model in <see cref="Resolve"/>.</summary>
    public static ClassSpec Parse(string text)
    {
        string[] items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0)
            throw new CliException("--class is empty; use top1, top3, topK, a class index or a class name.");
        var tops = items.Where(i => TopPattern().IsMatch(i)).ToList();
        if (tops.Count > 0)
        {
            if (items.Length > 1)
                throw new CliException($"--class '{text}' mixes {tops[0]} with other classes; use topK alone, or list class indices/names.");
            int k = int.TryParse(TopPattern().Match(tops[0]).Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) ? parsed : int.MaxValue;
            if (k < 1)
                throw new CliException($"--class {tops[0]}: K must be at least 1.");
            return new ClassSpec(k, []);
        }
        return new ClassSpec(null, items);
    }

    /// <summary>The selection for a model with these labels; unknown, ambiguous or out-of-range classes are errors.</summary>
    public ClassSelection Resolve(IReadOnlyList<string> labels, string modelName)
    {
        if (_topK is int k)
        {
            if (k > labels.Count)
                throw new CliException($"--class top{k} asks for more classes than model '{modelName}' has ({labels.Count}).");
            return new ClassSelection.TopK(k);
        }
        var indices = new List<int>();
        foreach (string item in _items)
        {
            int index = IntegerPattern().IsMatch(item) ? ResolveIndex(item, labels, modelName) : ResolveName(item, labels, modelName);
            if (!indices.Contains(index))
                indices.Add(index);
        }
        return new ClassSelection.Indices(indices);
    }

    private static int ResolveIndex(string item, IReadOnlyList<string> labels, string modelName)
    {
        if (!int.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index) || index < 0 || index >= labels.Count)
            throw new CliException($"Class index {item} is out of range: model '{modelName}' has classes 0-{labels.Count - 1}.");
        return index;
    }

    private static int ResolveName(string name, IReadOnlyList<string> labels, string modelName)
    {
        var whole = Matching(labels, label => string.Equals(label.Trim(), name, StringComparison.OrdinalIgnoreCase));
        if (whole.Count == 1)
            return whole[0];
        var synonyms = whole.Count > 1 ? whole : Matching(labels, label => Synonyms(label).Any(s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase)));
        if (synonyms.Count == 1)
            return synonyms[0];
        if (synonyms.Count > 1)
            throw new CliException(
                $"Class name '{name}' is ambiguous in model '{modelName}': {Describe(synonyms, labels)}; give the class index instead.");

        var containing = Matching(labels, label => label.Contains(name, StringComparison.OrdinalIgnoreCase));
        IEnumerable<int> suggestions = containing.Count > 0
            ? containing
            : Enumerable.Range(0, labels.Count)
                .Select(i => (Index: i, Distance: Synonyms(labels[i]).Min(s => EditDistance(name.ToLowerInvariant(), s.ToLowerInvariant()))))
                .OrderBy(c => c.Distance)
                .ThenBy(c => c.Index)
                .Select(c => c.Index);
        throw new CliException(
            $"Unknown class '{name}' for model '{modelName}'. Did you mean {Describe(suggestions.Take(5).ToList(), labels)}? " +
            $"Give a class name, a class index (0-{labels.Count - 1}), or top1/top3.");
    }

    private static List<int> Matching(IReadOnlyList<string> labels, Func<string, bool> predicate) =>
        Enumerable.Range(0, labels.Count).Where(i => predicate(labels[i])).ToList();

    private static IEnumerable<string> Synonyms(string label) =>
        label.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string Describe(IReadOnlyList<int> indices, IReadOnlyList<string> labels) =>
        string.Join(", ", indices.Select(i => $"{i} ({labels[i]})"));

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1), Math.Min(previous[j], current[j - 1]) + 1);
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    [GeneratedRegex("^top(\\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex TopPattern();

    [GeneratedRegex("^[-+]?\\d+$")]
    private static partial Regex IntegerPattern();
}
