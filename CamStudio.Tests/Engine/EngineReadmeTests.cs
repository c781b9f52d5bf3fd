using System.Text.RegularExpressions;
using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Engine;

/// <summary>
/// The engine package's README shows a short C# use of <see cref="CamEngine"/>. The code between the markers below is
/// that sample, line for line (the first test checks it against the README), and the second test runs it.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed partial class EngineReadmeTests
{
    [Fact]
    public void TheReadmeSampleIsTheCodeThisTestRuns()
    {
        string readme = File.ReadAllText(Repository.File("CamStudio.Engine/README.md"));
        Match block = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "CamStudio.Engine/README.md has no ```csharp block.");
        string[] sample = CodeLines(block.Groups[1].Value).Where(l => !l.StartsWith("using CamStudio", StringComparison.Ordinal)).ToArray();

        string source = File.ReadAllText(Repository.File("CamStudio.Tests/Engine/EngineReadmeTests.cs"));
        Match marked = SampleRegion().Match(source);
        Assert.True(marked.Success, "The sample markers are missing from this file.");
        string[] tested = CodeLines(marked.Groups[1].Value);

        Assert.Equal(sample, tested);
    }

    [Fact]
    public async Task TheReadmeSampleExplainsAPhotoAndWritesItsOverlay()
    {
        string modelsFolder = TestModels.Directory;
        string photoPath = SharedResources.Image("chelsea.png");
        using var output = new Cli.TempFolder();
        string outDir = output.Path;
        // README sample begin
        using var executor = new TorchExecutor();
        using var models = new LoadedModels(executor, new ModelCatalog(modelsFolder));
        using var engine = new CamEngine(executor, models);
        using DecodedPhoto photo = PhotoDecoder.Default.Decode(photoPath);
        var request = new CamRequest { Model = "mobilenetv2", Methods = ["gradcam"], Classes = "top1" };
        EngineExplanation result = await engine.ExplainAsync(request, [photo.Image]);
        PlacedClassMap map = result.Photos[0].Maps[0];
        using var overlay = HeatmapRenderer.Overlay(photo.Image, map.Map);
        File.WriteAllBytes(Path.Combine(outDir, $"cat.{map.Method}.{map.ClassIndex}.png"), HeatmapRenderer.EncodePng(overlay));
        // README sample end

        // chelsea.png is a tabby cat: ImageNet 281 (tabby), 282 (tiger cat) or 285 (Egyptian cat).
        Assert.Contains(map.ClassIndex, new[] { 281, 282, 285 });
        string written = Path.Combine(output.Path, $"cat.gradcam.{map.ClassIndex}.png");
        using Image<Rgb24> png = Image.Load<Rgb24>(written);
        Assert.Equal((photo.Image.Width, photo.Image.Height), (png.Width, png.Height));
    }

    private static string[] CodeLines(string code) =>
        code.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    [GeneratedRegex(@"// README sample begin\n(.*?)// README sample end", RegexOptions.Singleline)]
    private static partial Regex SampleRegion();
}
