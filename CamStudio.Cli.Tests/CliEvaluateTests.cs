using System.Globalization;
using System.Text.Json;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cli;

/// <summary><c>camstudio evaluate</c> and <c>recommend</c> on the seeded resnet18 ("pets", a torchvision model with weights).</summary>
[Collection(TorchCollection.Name)]
public sealed class CliEvaluateTests : IDisposable
{
    private const string Header = "photo,method,class,layer,deletion_auc,insertion_auc,avg_drop,increase,road_morf,road_lerf,road_combined,pointing_hit,energy_pointing,sanity_spearman,sanity_ssim";

    private readonly CliModels _models = CliModels.Shared;
    private readonly TempFolder _temp = new("camstudio-cli-evaluate-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void EvaluateWritesTheCsvWithCurvesInJsonAndTheMaps()
    {
        string outDir = _temp.Combine("out");
        string cat = SharedResources.Image("cat.bmp"), dog = SharedResources.Image("dog.jpg");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "evaluate", cat, dog, "--model", "pets", "--method", "gradcam,layercam", "--class", "top2",
            "--metrics", "deletion,insertion,drop", "--baselines", "--steps", "4", "--out", outDir);
        Assert.True(run.ExitCode == 0, run.ToString());

        string[] lines = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        Assert.Equal(Header, lines[0]);
        Assert.Equal(1 + 2 * 2 * (2 + 3), lines.Length); // photos × classes × (methods + baselines)
        string[][] rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(["baseline-centre", "baseline-random", "baseline-sobel", "gradcam", "layercam"], rows.Select(r => r[1]).Distinct().Order());
        foreach (string[] row in rows)
        {
            Assert.Equal(15, row.Length);
            Assert.All(row[4..7], cell => Assert.InRange(double.Parse(cell, CultureInfo.InvariantCulture), 0, 1));
            Assert.All(row[7..], cell => Assert.Equal("", cell)); // not asked for
            Assert.Equal(row[1].StartsWith("baseline-", StringComparison.Ordinal) ? "" : "layer4", row[3]);
        }

        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")));
        JsonElement map = json.RootElement.GetProperty("photos")[0].GetProperty("maps")[0];
        double[] fractions = map.GetProperty("fractions").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] deletion = map.GetProperty("deletionCurve").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal([0, 0.25, 0.5, 0.75, 1], fractions); // 64² positions, step 1024
        // The csv's AUC is the trapezoid of the json's curve.
        double auc = Enumerable.Range(1, 4).Sum(i => (fractions[i] - fractions[i - 1]) * (deletion[i] + deletion[i - 1]) / 2);
        Assert.Equal(auc, double.Parse(rows[0][4], CultureInfo.InvariantCulture), 1e-5); // the csv prints six places
        Assert.Equal(map.GetProperty("probability").GetDouble(), deletion[0], 1e-5);

        string first = rows[0][1], classIndex = rows[0][2];
        Assert.True(File.Exists(Path.Combine(outDir, $"cat.{first}.{classIndex}.npy")));
        Assert.True(File.Exists(Path.Combine(outDir, $"dog.baseline-sobel.{classIndex}.npy")) || File.Exists(Path.Combine(outDir, $"dog.baseline-sobel.{rows[^1][2]}.npy")));
    }

    [Fact]
    public void RecommendWritesTheRankedTable()
    {
        string outDir = _temp.Combine("rec");
        CliRun run = CliRun.Invoke(_models.ModelsDir, "recommend", SharedResources.Image("cat.bmp"), "--model", "pets", "--layers", "2", "--steps", "4", "--out", outDir);
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = File.ReadAllLines(Path.Combine(outDir, "recommend.csv"));
        Assert.Equal("rank,method,layer,score,deletion_auc,insertion_auc", lines[0]);
        string[][] rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(Enumerable.Range(1, rows.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r[0]));
        double[] scores = rows.Select(r => double.Parse(r[3], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        foreach (string[] row in rows)
            Assert.Equal(double.Parse(row[5], CultureInfo.InvariantCulture) - double.Parse(row[4], CultureInfo.InvariantCulture),
                double.Parse(row[3], CultureInfo.InvariantCulture), 2e-6); // each cell is rounded to six places
        Assert.Contains(rows, r => r[1] == "gradcam" && r[2] == "layer4");
        Assert.Contains(rows, r => r[1] == "baseline-random" && r[2] == "");
        // One normalised map of gradcam at layer4 (layer4.1's are named cat.gradcam@layer4.1.*).
        Assert.Single(Directory.GetFiles(outDir).Select(Path.GetFileName), f => System.Text.RegularExpressions.Regex.IsMatch(f!, @"^cat\.gradcam@layer4\.\d+\.npy$"));
        Assert.StartsWith("Best: ", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--metrics", "deletion,fidelity" }, "camstudio: Unknown metric 'fidelity'. Metrics: deletion, insertion, drop, increase, road, pointing, sanity.")]
    [InlineData(new[] { "--steps", "0" }, "camstudio: Steps must be between 1 and 1000, got 0.")]
    [InlineData(new[] { "--box", "0,0,9999,10" }, "camstudio: Box 0,0,9999,10 is not inside the")]
    [InlineData(new[] { "--box", "1,2" }, "camstudio: A box is four whole numbers x0,y0,x1,y1 in photo pixels, got '1,2'.")]
    [InlineData(new[] { "--baseline", "grey" }, "camstudio: Unknown baseline 'grey'. Baselines: zeros, blur, mean.")]
    public void BadEvaluateInputIsOneLineExitTwoAndWritesNothing(string[] arguments, string message)
    {
        string outDir = _temp.Combine("bad");
        CliRun run = CliRun.Invoke(_models.ModelsDir, ["evaluate", SharedResources.Image("cat.bmp"), "--model", "pets", "--out", outDir, .. arguments]);
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.StartsWith(message, Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }
}
