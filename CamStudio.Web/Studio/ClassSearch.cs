namespace CamStudio.Web.Studio;

/// <summary>
/// The class pickers' search over a model's labels. No text: the photo's top predictions first, then every class.
/// Text: exact and prefix matches of the name or a synonym (ImageNet labels list synonyms after commas) first, then
/// any substring, or the index.
/// </summary>
internal static class ClassSearch
{
    public static IEnumerable<Home.ClassOption> Find(IReadOnlyList<string> labels, string? text, IReadOnlyList<int>? first = null)
    {
        IEnumerable<Home.ClassOption> all = labels.Select((name, index) => new Home.ClassOption(index, name));
        if (string.IsNullOrWhiteSpace(text))
        {
            List<int> top = (first ?? []).Where(i => i >= 0 && i < labels.Count).Distinct().ToList();
            return top.Select(i => new Home.ClassOption(i, labels[i])).Concat(all.Where(c => !top.Contains(c.Index)));
        }
        string query = text.Trim().TrimStart('#');
        return all
            .Where(c => c.Name.Contains(query, StringComparison.OrdinalIgnoreCase) || c.Index.ToString() == query)
            .OrderBy(c => Rank(c, query));
    }

    private static int Rank(Home.ClassOption option, string query)
    {
        if (option.Index.ToString() == query)
            return 0;
        string[] synonyms = option.Name.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (synonyms.Any(s => s.Equals(query, StringComparison.OrdinalIgnoreCase)))
            return 1;
        return synonyms.Any(s => s.StartsWith(query, StringComparison.OrdinalIgnoreCase)) ? 2 : 3;
    }
}
