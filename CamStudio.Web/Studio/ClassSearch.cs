namespace CamStudio.Web.Studio;

/// <summary>The class pickers' search over a model's labels: exact and prefix matches first, then any substring (or the index).</summary>
internal static class ClassSearch
{
    public static IEnumerable<Home.ClassOption> Find(IReadOnlyList<string> labels, string? text)
    {
        IEnumerable<Home.ClassOption> all = labels.Select((name, index) => new Home.ClassOption(index, name));
        if (string.IsNullOrWhiteSpace(text))
            return all;
        string query = text.Trim();
        return all
            .Where(c => c.Name.Contains(query, StringComparison.OrdinalIgnoreCase) || c.Index.ToString() == query)
            .OrderBy(c => c.Name.Equals(query, StringComparison.OrdinalIgnoreCase) ? 0 : c.Name.StartsWith(query, StringComparison.OrdinalIgnoreCase) ? 1 : 2);
    }
}
