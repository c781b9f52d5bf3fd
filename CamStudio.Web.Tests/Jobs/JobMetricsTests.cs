using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// Metrics as optional job settings (issue 10): kept in the job's settings, checked by the engine when the job is
/// submitted, computed per photo by the runner through the engine, written per photo to results.csv under the CLI's
/// metrics.csv column names, and summarised per method (mean ± sd) on the results page and in the export.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobMetricsTests : IDisposable
{
    private static readonly string[] MetricColumns =
        ["deletion_auc", "insertion_auc", "avg_drop", "increase", "road_morf", "road_lerf", "road_combined", "pointing_hit", "energy_pointing",
         "sanity_spearman", "sanity_ssim"];

    private readonly JobsAppFactory _app = new(batchSize: 2);

    public void Dispose() => _app.Dispose();

    private static MultipartFormDataContent Form(int photos, params (string Name, string Value)[] fields)
    {
        MultipartFormDataContent form = JobRequests.Photos(photos, "gradcam,cam");
        foreach (var (name, value) in fields)
            form.Add(new StringContent(value), name);
        return form;
    }

    [Fact]
    public async Task AJobWithMetricsWritesThemPerPhotoAndSummarisesThemPerMethod()
    {
        using var client = _app.CreateClient();
        string id = await JobRequests.SubmitAsync(client, Form(3, ("metrics", "deletion,insertion,drop"), ("steps", "8"), ("baselines", "true")));
        JsonElement job = await JobRequests.WaitForEndAsync(client, id, seconds: 600);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        // The settings JSON keeps the metrics (no column of their own).
        JsonElement metrics = job.GetProperty("settings").GetProperty("metrics");
        Assert.Equal(["deletion", "insertion", "drop"], metrics.GetProperty("names").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(8, metrics.GetProperty("steps").GetInt32());

        using var export = await client.GetAsync($"api/jobs/{id}/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        using var zip = new ZipArchive(await export.Content.ReadAsStreamAsync());
        List<Dictionary<string, string>> rows = JobCsv.Read(zip, "results.csv", out string[] header);
        Assert.Equal(MetricColumns, header[^MetricColumns.Length..]);

        // 3 photos × (2 methods + 3 baselines), one class each.
        Assert.Equal(15, rows.Count);
        foreach (string method in new[] { "gradcam", "cam", "baseline-random", "baseline-centre", "baseline-sobel" })
            Assert.Equal(3, rows.Count(r => r["method"] == method));
        foreach (Dictionary<string, string> row in rows)
        {
            foreach (string column in new[] { "deletion_auc", "insertion_auc", "avg_drop" })
            {
                double value = double.Parse(row[column], CultureInfo.InvariantCulture);
                Assert.InRange(value, 0, 1);
            }
            // Asked for deletion, insertion and drop only: the other cells stay empty.
            Assert.All(new[] { "increase", "road_morf", "sanity_ssim" }, c => Assert.Equal("", row[c]));
            Assert.Equal(row["method"].StartsWith("baseline-", StringComparison.Ordinal), row["map_file"] == "");
        }
        // A real property (the engine tests assert it too): on chelsea.png Grad-CAM's map deletes the cat faster and
        // restores it sooner than uniform noise does.
        Dictionary<string, string> Row(string method) => rows.Single(r => r["file"].EndsWith("chelsea.png", StringComparison.Ordinal) && r["method"] == method);
        Assert.True(Number(Row("gradcam"), "deletion_auc") < Number(Row("baseline-random"), "deletion_auc"));
        Assert.True(Number(Row("gradcam"), "insertion_auc") > Number(Row("baseline-random"), "insertion_auc"));

        // The summary is the mean and the sample standard deviation of the per-photo rows, computed here independently.
        List<Dictionary<string, string>> summary = JobCsv.Read(zip, "metrics-summary.csv", out _);
        Assert.Equal(5, summary.Count);
        foreach (Dictionary<string, string> line in summary)
        {
            double[] values = [.. rows.Where(r => r["method"] == line["method"]).Select(r => Number(r, "insertion_auc"))];
            double mean = values.Average();
            double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
            Assert.Equal("3", line["maps"]);
            Assert.Equal(mean, Number(line, "insertion_auc_mean"), 2e-6); // cells are rounded to six places
            Assert.Equal(sd, Number(line, "insertion_auc_sd"), 2e-6);
            Assert.Equal("", line["road_morf_mean"]);
        }

        // The results page shows mean ± sd per method, baselines included.
        string page = await client.GetStringAsync($"jobs/{id}");
        Assert.Contains("data-job-metrics", page);
        foreach (string method in new[] { "gradcam", "cam", "baseline-random" })
            Assert.Contains($"data-metrics-method=\"{method}\"", page);
        Assert.Contains(" ± ", page);
    }

    [Theory]
    [InlineData("metrics=telepathy", "Unknown metric 'telepathy'")]
    [InlineData("metrics=deletion;steps=0", "Steps must be between 1 and")]
    [InlineData("metrics=deletion;steps=many", "Steps must be a whole number")]
    [InlineData("metrics=deletion;baseline=purple", "Unknown baseline 'purple'")]
    [InlineData("metrics=pointing", "box")]
    [InlineData("metrics=deletion;aug_smooth=true", "without fusion or smoothing")]
    public async Task BadMetricSettingsAreRefusedAtSubmissionByTheEngine(string fields, string expected)
    {
        using var client = _app.CreateClient();
        var pairs = fields.Split(';').Select(f => f.Split('=')).Select(p => (p[0], p[1])).ToArray();
        using var response = await client.PostAsync("api/jobs", Form(1, pairs));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {body}");
        Assert.Contains(expected, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public void AJobWithoutMetricsKeepsItsResultsCsvHeader()
    {
        Assert.Null(JobSubmitter.WithMetrics(JobSettings.Default, [], "5", "true", null).Metrics);
        string csv = JobExporter.ResultsCsv([]);
        Assert.Equal("file,status,class_index,class_name,probability,method,layer,map_file,raw_map_file,overlay_file,error", csv.TrimEnd());
    }

    private static double Number(Dictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);
}
