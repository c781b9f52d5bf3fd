namespace CamStudio.Engine;

/// <summary>
/// Method options as people type them, the same in every front end: <c>samples=35, sscam.sigma=2</c> (pairs separated
/// by commas, semicolons or new lines; the CLI's repeated <c>--option</c> values are joined the same way). The engine
/// checks names and values when it plans (<see cref="CamRequest.Options"/>); this only splits the text.
/// </summary>
public static class MethodOptionText
{
    private static readonly char[] Separators = [',', ';', '\n', '\r'];

    /// <summary>
    /// The pairs of <paramref name="texts"/>, keys trimmed and lower-cased. A pair without <c>=</c>, an empty name or
    /// value, or a name given twice is a <see cref="CamRequestException"/> on "options".
    /// </summary>
    public static IReadOnlyDictionary<string, string> Parse(params IEnumerable<string?> texts)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string pair in texts.SelectMany(t => (t ?? "").Split(Separators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            int eq = pair.IndexOf('=');
            string name = eq < 0 ? pair : pair[..eq].Trim();
            string value = eq < 0 ? "" : pair[(eq + 1)..].Trim();
            if (eq < 0 || name.Length == 0 || value.Length == 0)
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Options,
                    $"Option '{pair}' is not of the form name=value (e.g. samples=35, or sscam.samples=35 for one method).");
            if (!options.TryAdd(name.ToLowerInvariant(), value))
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Options,
                    $"Option '{name}' is given twice; give each option once.");
        }
        return options;
    }

    /// <summary>The options as one line, <c>k=64, samples=35</c> (sorted by name), which <see cref="Parse"/> reads back.</summary>
    public static string Format(IReadOnlyDictionary<string, string> options) =>
        string.Join(", ", options.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
