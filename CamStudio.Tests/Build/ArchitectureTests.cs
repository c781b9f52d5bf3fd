using System.Text.RegularExpressions;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Build;

/// <summary>
/// The two structural rules of the code base, read from the sources: the engine's namespaces form layers (no
/// namespace depends on one that depends back on it), and the front ends never touch TorchSharp (a request is
/// understood in the engine; the studio, API, jobs and CLI only parse input and present results).
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>The engine's layers, lowest first: a namespace may use only those before it.</summary>
    private static readonly string[] EngineLayers = ["Runtime", "Maps", "Imaging", "Models", "Cam", "Metrics", "Engine"];

    [Fact]
    public void Engine_namespaces_use_only_the_layers_below_them()
    {
        Dictionary<string, SortedSet<string>> uses = EngineNamespaceUses();
        Assert.Equal(EngineLayers.Order(), uses.Keys.Order());

        var violations = new List<string>();
        foreach ((string from, SortedSet<string> targets) in uses)
        {
            int level = Array.IndexOf(EngineLayers, from);
            foreach (string to in targets)
            {
                if (Array.IndexOf(EngineLayers, to) >= level)
                    violations.Add($"{from} uses {to}");
            }
        }
        Assert.True(violations.Count == 0, "Engine layering broken: " + string.Join("; ", violations));
    }

    [Fact]
    public void The_layer_check_sees_qualified_names_as_well_as_usings()
    {
        Assert.Equal(["Cam", "Maps"], Referenced("using CamStudio.Engine.Maps;\n x = new Cam.CamExplainer();", "Models").Order());
        Assert.Equal(["Maps"], Referenced("// see CamStudio.Engine.Maps.CamMap\n", "Imaging"));
        Assert.Equal(["Engine"], Referenced("using CamStudio.Engine;", "Cam"));
        Assert.Empty(Referenced("namespace CamStudio.Engine.Models.Onnx;\nusing CamStudio.Engine.Models.Onnx;", "Models"));
    }

    [Theory]
    [InlineData("CamStudio.Web")]
    [InlineData("CamStudio.Cli")]
    public void Front_ends_never_touch_TorchSharp(string project)
    {
        string root = Path.Combine(Repository.Root, project);
        Assert.True(Directory.Exists(root), $"{root} is missing.");
        List<string> offenders = SourceFiles(root, "*.cs", "*.razor", "*.csproj")
            .Where(file => File.ReadAllText(file).Contains("TorchSharp", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(Repository.Root, file))
            .ToList();
        Assert.True(offenders.Count == 0, "TorchSharp used in a front end: " + string.Join(", ", offenders));
    }

    private static Dictionary<string, SortedSet<string>> EngineNamespaceUses()
    {
        string engine = Path.Combine(Repository.Root, "CamStudio.Engine");
        var uses = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (string file in SourceFiles(engine, "*.cs"))
        {
            string text = File.ReadAllText(file);
            Match ns = NamespaceLine().Match(text);
            Assert.True(ns.Success, $"{file} declares no CamStudio.Engine namespace.");
            string layer = LayerOf(ns.Groups[1].Value);
            if (!uses.TryGetValue(layer, out SortedSet<string>? set))
                uses[layer] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.UnionWith(Referenced(text, layer));
        }
        return uses;
    }

    /// <summary>The other top-level engine namespaces a source text names, by using directive, full or short qualification.</summary>
    private static IEnumerable<string> Referenced(string text, string ownLayer)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match m in QualifiedName().Matches(text))
            found.Add(LayerOf(m.Groups[1].Value));
        foreach (string layer in EngineLayers[..^1])
        {
            if (ShortQualified(text, layer))
                found.Add(layer);
        }
        found.Remove(ownLayer);
        return found;
    }

    /// <summary>The root namespace (<c>CamStudio.Engine</c>, where <c>CamEngine</c> lives) is the top layer, "Engine".</summary>
    private static string LayerOf(string name) =>
        Array.IndexOf(EngineLayers, name) >= 0 ? name : EngineLayers[^1];

    /// <summary>A short qualification (<c>Cam.CamExplainer</c>) outside a using or namespace line.</summary>
    private static bool ShortQualified(string text, string layer) =>
        text.Split('\n').Any(line =>
            !line.TrimStart().StartsWith("using ", StringComparison.Ordinal)
            && !line.TrimStart().StartsWith("namespace ", StringComparison.Ordinal)
            && Regex.IsMatch(line, $@"(?<![\w.]){layer}\.[A-Z]\w*"));

    private static IEnumerable<string> SourceFiles(string root, params string[] patterns) =>
        patterns.SelectMany(p => Directory.EnumerateFiles(root, p, SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [GeneratedRegex(@"^namespace CamStudio\.Engine(?:\.(\w+))?(?:\.\w+)*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceLine();

    [GeneratedRegex(@"CamStudio\.Engine(?:\.(\w+))?\b")]
    private static partial Regex QualifiedName();
}
