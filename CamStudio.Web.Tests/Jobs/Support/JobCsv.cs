using System.IO.Compression;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>The tests' own reader of an export's CSV entries (RFC 4180), independent of the exporter's writer.</summary>
public static class JobCsv
{
    /// <summary>A CSV entry as rows keyed by the header.</summary>
    public static List<Dictionary<string, string>> Read(ZipArchive zip, string entry, out string[] header)
    {
        ZipArchiveEntry found = zip.GetEntry(entry) ?? throw new InvalidOperationException($"The export has no {entry}.");
        using var reader = new StreamReader(found.Open());
        string[] lines = reader.ReadToEnd().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        string[] columns = lines[0].Split(',');
        header = columns;
        return [.. lines.Skip(1).Select(Split).Select(cells => columns.Select((c, i) => (c, cells[i])).ToDictionary(x => x.c, x => x.Item2))];
    }

    /// <summary>RFC 4180 fields (ImageNet labels hold commas, so class names are quoted).</summary>
    private static string[] Split(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"')
            {
                cell.Append('"');
                i++;
            }
            else if (c == '"')
                quoted = !quoted;
            else if (c == ',' && !quoted)
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
                cell.Append(c);
        }
        cells.Add(cell.ToString());
        return [.. cells];
    }
}
