using System.IO.Compression;
using System.Xml.Linq;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Build;

/// <summary>
/// The engine ships as a library: scripts/test.sh runs <c>dotnet pack</c> into artifacts/packages before the tests,
/// and this checks what a user of the package gets (README, compiled XML docs, metadata, the pinned ImageSharp).
/// </summary>
public sealed class EnginePackageTests
{
    [Fact]
    public void ThePackageCarriesTheReadmeTheXmlDocsAndItsMetadata()
    {
        string folder = Path.Combine(Repository.Root, "artifacts", "packages");
        string? package = Directory.Exists(folder) ? Directory.GetFiles(folder, "CamStudio.Engine.*.nupkg").SingleOrDefault() : null;
        Assert.True(package is not null,
            $"No CamStudio.Engine package in {folder}: scripts/test.sh packs it (dotnet pack CamStudio.Engine -c Release -o artifacts/packages).");

        using ZipArchive zip = ZipFile.OpenRead(package);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        Assert.Contains("README.md", entries);
        Assert.Contains("lib/net10.0/CamStudio.Engine.dll", entries);
        Assert.Contains("lib/net10.0/CamStudio.Engine.xml", entries);

        using (var readme = new StreamReader(zip.GetEntry("README.md")!.Open()))
            Assert.Contains("new CamEngine(", readme.ReadToEnd());
        using (var docs = zip.GetEntry("lib/net10.0/CamStudio.Engine.xml")!.Open())
        {
            XDocument xml = XDocument.Load(docs);
            Assert.Contains(xml.Descendants("member"), m => (string?)m.Attribute("name") == "T:CamStudio.Engine.CamEngine");
        }

        ZipArchiveEntry nuspecEntry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using Stream nuspecStream = nuspecEntry.Open();
        XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal("CamStudio.Engine", Value("id"));
        Assert.Equal("README.md", Value("readme"));
        Assert.Contains("Grad-CAM", Value("description"));
        var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => (string)e.Attribute("id")!, e => (string)e.Attribute("version")!);
        // 3.x of ImageSharp is paid-licensed: the package must pin 2.1.13 exactly, as the solution does.
        Assert.Equal("[2.1.13]", dependencies["SixLabors.ImageSharp"]);
        Assert.Contains("TorchSharp", dependencies.Keys);
    }
}
