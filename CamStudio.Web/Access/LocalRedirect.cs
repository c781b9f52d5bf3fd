namespace CamStudio.Web.Access;

/// <summary>Where a redirect after the code may go: a path on this server, never another site.</summary>
public static class LocalRedirect
{
    /// <summary>
    /// True for <c>/</c> and <c>/path…</c>; false for absolute URLs, scheme-relative <c>//host</c>, <c>/\host</c>
    /// (browsers read <c>\</c> as <c>/</c>), and anything holding a control character (browsers drop tabs and
    /// newlines, so <c>/&#9;/host</c> becomes <c>//host</c>). The rule of ASP.NET's <c>Url.IsLocalUrl</c>, without "~/".
    /// </summary>
    public static bool IsLocalUrl(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/')
            return false;
        foreach (char c in url)
        {
            if (char.IsControl(c))
                return false;
        }
        return url.Length == 1 || (url[1] != '/' && url[1] != '\\');
    }

    /// <summary><paramref name="url"/> when it is local, else <c>/</c>.</summary>
    public static string OrRoot(string? url) => IsLocalUrl(url) ? url! : "/";
}
