using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Jobs;

/// <summary>The HTTP API of jobs (real engine, shared MobileNetV2): intake, problem details, results and the export ZIP.</summary>
[Collection(TorchCollection.Name)]
public sealed class JobsApiTests : IDisposable
{
    private readonly JobsAppFactory _app = new(batchSize: 3);

    public void Dispose() => _app.Dispose();

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static MultipartFormDataContent Archive(Action<ZipArchive> build, string name = "photos.zip")
    {
        var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
            build(zip);
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(memory.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(content, "archive", name);
        return form;
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        using var stream = zip.CreateEntry(name).Open();
        stream.Write(bytes);
    }

    private string[] JobFolders() =>
        Directory.Exists(Path.Combine(_app.DataDirectory, "jobs")) ? Directory.GetDirectories(Path.Combine(_app.DataDirectory, "jobs")) : [];

    [Fact]
    public async Task ARefusedArchiveIsA400ProblemAndLeavesNoJobBehind()
    {
        using var client = _app.CreateClient();
        using var response = await client.PostAsync("api/jobs", Archive(z =>
        {
            Add(z, "../../escape.png", File.ReadAllBytes(SharedResources.Image("chelsea.png")));
            Add(z, "notes.txt", Encoding.UTF8.GetBytes("x"));
        }, "holiday.zip"));
        JsonElement problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("no photos", detail);
        Assert.Contains("../../escape.png: path traversal", detail);
        Assert.Empty(JobFolders());
        Assert.Empty(_app.Services.GetRequiredService<JobStore>().ListJobs());
        Assert.False(File.Exists(Path.Combine(_app.DataDirectory, "escape.png")));
    }

    [Theory]
    [InlineData("", "No photos")]
    [InlineData("methods=telepathy", "Unknown CAM method 'telepathy'")]
    public async Task BadRequestsExplainWhatIsWrong(string field, string expected)
    {
        using var client = _app.CreateClient();
        var form = field.Length == 0 ? new MultipartFormDataContent { { new StringContent("gradcam"), "methods" } } : JobRequests.Photos(1, field.Split('=')[1]);
        using var response = await client.PostAsync("api/jobs", form);
        JsonElement problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(expected, problem.GetProperty("detail").GetString());
        Assert.Empty(JobFolders());
    }

    [Fact]
    public async Task UnknownJobsAreA404Problem()
    {
        using var client = _app.CreateClient();
        foreach (string url in new[] { "api/jobs/0123456789abcdef", "api/jobs/../../etc", "api/jobs/0123456789abcdef/export" })
        {
            using var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        using var delete = await client.DeleteAsync("api/jobs/0123456789abcdef");
        JsonElement problem = await ProblemAsync(delete, HttpStatusCode.NotFound);
        Assert.Contains("0123456789abcdef", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task APhotoThatCannotBeDecodedFailsAloneAndTheJobGoesOn()
    {
        using var client = _app.CreateClient();
        string jobId = await JobRequests.SubmitAsync(client, Archive(z =>
        {
            Add(z, "a.png", File.ReadAllBytes(SharedResources.Image("chelsea.png")));
            Add(z, "broken.jpg", Encoding.UTF8.GetBytes("this is not a jpeg"));
            Add(z, "sub/b.jpg", File.ReadAllBytes(SharedResources.Image("dog.jpg")));
            Add(z, "readme.txt", Encoding.UTF8.GetBytes("skip me"));
        }));
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(3, job.GetProperty("total").GetInt32());
        Assert.Equal(2, job.GetProperty("done").GetInt32());
        Assert.Equal(1, job.GetProperty("failed").GetInt32());
        Assert.Equal("readme.txt", job.GetProperty("skipped")[0].GetProperty("entry").GetString());

        JsonElement results = JsonDocument.Parse(await client.GetStringAsync($"api/jobs/{jobId}/results")).RootElement;
        JsonElement[] photos = [.. results.GetProperty("photos").EnumerateArray()];
        Assert.Equal(["a.png", "broken.jpg", "sub/b.jpg"], photos.Select(p => p.GetProperty("fileName").GetString()));
        Assert.Equal("Failed", photos[1].GetProperty("state").GetString());
        Assert.Contains("broken.jpg", photos[1].GetProperty("error").GetString());
        Assert.Equal("Done", photos[2].GetProperty("state").GetString());
        string thumbnail = photos[2].GetProperty("thumbnailFile").GetString()!;
        using var thumb = await client.GetAsync($"api/jobs/{jobId}/files/{thumbnail}");
        Assert.Equal("image/png", thumb.Content.Headers.ContentType?.MediaType);
        using var escape = await client.GetAsync($"api/jobs/{jobId}/files/..%2F..%2Fjobs.db");
        Assert.NotEqual(HttpStatusCode.OK, escape.StatusCode);
        Assert.Equal(await File.ReadAllBytesAsync(SharedResources.Image("dog.jpg")), await client.GetByteArrayAsync($"api/jobs/{jobId}/photos/2"));

        // The pages: the queue lists the job; the gallery links each photo to the explorer and shows the failure.
        string queue = await client.GetStringAsync("jobs");
        Assert.Contains($"data-job=\"{jobId}\"", queue);
        string gallery = await client.GetStringAsync($"jobs/{jobId}");
        // Each link also carries the photo's first map: the model, method, class and the layer it was taken from.
        Assert.Contains($"href=\"/?job={jobId}&amp;photo=0&amp;model=", gallery);
        Assert.Contains($"href=\"/?job={jobId}&amp;photo=2&amp;model=", gallery);
        Assert.Contains("&amp;method=gradcam&amp;class=", gallery);
        Assert.DoesNotContain($"photo=1&amp;", gallery);
        Assert.Contains($"src=\"api/jobs/{jobId}/files/{thumbnail}\"", gallery);
        Assert.Contains("broken.jpg", gallery);
    }

    [Fact]
    public async Task TheExportHoldsOverlaysMapsAQuotedCsvAndAManifest()
    {
        using var client = _app.CreateClient();
        string jobId = await JobRequests.SubmitAsync(client, JobRequests.Photos(4, "gradcam,hirescam"));
        await JobRequests.WaitForEndAsync(client, jobId);
        using var response = await client.GetAsync($"api/jobs/{jobId}/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();

        List<string[]> rows;
        using (var reader = new StreamReader(zip.GetEntry("results.csv")!.Open()))
            rows = ParseCsv(reader.ReadToEnd());
        Assert.Equal(["file", "status", "class_index", "class_name", "probability", "method", "layer", "map_file", "raw_map_file", "overlay_file", "error"], rows[0]);
        Assert.Equal(4 * 2, rows.Count - 1); // photos × classes (top-1) × methods
        var store = _app.Services.GetRequiredService<JobStore>();
        foreach (JobPhoto photo in store.ListPhotos(jobId))
        {
            foreach (JobMapFile map in photo.Maps)
            {
                string[] row = Assert.Single(rows, r => r[0] == photo.FileName && r[5] == map.Method);
                Assert.Equal(map.ClassIndex.ToString(), row[2]);
                Assert.Equal(ImageNetLabels[map.ClassIndex], row[3]); // ImageNet names hold commas: quoted
                Assert.Equal(photo.Top1Probability!.Value, float.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Contains(row[7], names);
                Assert.Contains(row[8], names);
                Assert.Contains(row[9], names);
                // The one .npy contract: <stem>.<method>.<class>.npy at the input's 224×224, normalised; .raw.npy at the layer's 7×7.
                Assert.EndsWith($".{map.Method}.{map.ClassIndex}.npy", row[7]);
                Assert.Equal(row[7][..^".npy".Length] + ".raw.npy", row[8]);
                AssertNpy(ReadAll(zip.GetEntry(row[7])!), 224, 224);
                AssertNpy(ReadAll(zip.GetEntry(row[8])!), 7, 7); // MobileNetV2's last 7×7 feature map at 224×224
                Assert.Equal(0x89, ReadAll(zip.GetEntry(row[9])!)[0]); // PNG signature
            }
        }

        JsonElement manifest;
        using (var stream = zip.GetEntry("manifest.json")!.Open())
            manifest = JsonDocument.Parse(stream).RootElement.Clone();
        Assert.Equal("mobilenetv2", manifest.GetProperty("model").GetProperty("name").GetString());
        // The sha256 published in shared/models/README.md for mobilenetv2-12-int8.onnx.
        Assert.Equal("83530ad811bc31d2b60a5599a21265a5057608c9b044b4ee758cc22f2309f54f", manifest.GetProperty("model").GetProperty("sha256").GetString());
        Assert.Equal(["gradcam", "hirescam"], manifest.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(rows[1][6], manifest.GetProperty("layer").GetString());
        Assert.NotEqual("auto", rows[1][6]);
        Assert.Equal("top1", manifest.GetProperty("classes").GetString());
        Assert.False(string.IsNullOrEmpty(manifest.GetProperty("appVersion").GetString()));
        Assert.False(string.IsNullOrEmpty(manifest.GetProperty("engineVersion").GetString()));
        DateTimeOffset created = manifest.GetProperty("createdUtc").GetDateTimeOffset();
        DateTimeOffset started = manifest.GetProperty("startedUtc").GetDateTimeOffset();
        DateTimeOffset finished = manifest.GetProperty("finishedUtc").GetDateTimeOffset();
        Assert.True(created <= started && started <= finished);
        JsonElement[] listed = [.. manifest.GetProperty("maps").EnumerateArray()];
        Assert.Equal(rows.Count - 1, listed.Length);
        Assert.All(listed, m => Assert.Contains(m.GetProperty("npy").GetString()!, names));
        Assert.All(listed, m => Assert.Contains(m.GetProperty("rawNpy").GetString()!, names));
    }

    /// <summary>A float32 .npy of <paramref name="rows"/>×<paramref name="columns"/>, read by the format spec (NEP 1).</summary>
    private static void AssertNpy(byte[] npy, int rows, int columns)
    {
        Assert.Equal(0x93, npy[0]);
        string header = Encoding.ASCII.GetString(npy, 10, BitConverter.ToUInt16(npy, 8));
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains($"'shape': ({rows}, {columns})", header);
        Assert.Equal(0, (10 + header.Length) % 64);
        Assert.Equal(10 + header.Length + rows * columns * 4, npy.Length);
    }

    [Fact]
    public async Task ServerFoldersAreForTheHostOnly()
    {
        string folder = Path.Combine(_app.DataDirectory, "source");
        Directory.CreateDirectory(folder);
        File.Copy(SharedResources.Image("owl.jpg"), Path.Combine(folder, "owl.jpg"));
        using var client = _app.CreateClient();

        using var lan = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = new MultipartFormDataContent { { new StringContent(folder), "folder" } } };
        lan.Headers.Add(JobsAppFactory.LanPeerHeader, "192.168.1.20");
        lan.Headers.Add("X-CamStudio-Code", JobsAppFactory.Code);
        using (var refused = await client.SendAsync(lan))
            Assert.Contains("host only", (await ProblemAsync(refused, HttpStatusCode.Forbidden)).GetProperty("title").GetString());

        string jobId = await JobRequests.SubmitAsync(client, new MultipartFormDataContent { { new StringContent(folder), "folder" } });
        JsonElement job = await JobRequests.WaitForEndAsync(client, jobId);
        Assert.Equal(1, job.GetProperty("done").GetInt32());
    }

    private static readonly string[] ImageNetLabels = File.ReadAllLines(SharedResources.ImageNetLabels);

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>An independent RFC 4180 reader: quoted fields, doubled quotes, CRLF row ends.</summary>
    private static List<string[]> ParseCsv(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                { field.Append('"'); i++; }
                else if (c == '"')
                    quoted = false;
                else
                    field.Append(c);
            }
            else if (c == '"')
                quoted = true;
            else if (c == ',')
            { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(field.ToString());
                field.Clear();
                rows.Add([.. row]);
                row.Clear();
                i++;
            }
            else
                field.Append(c);
        }
        Assert.Empty(row);
        Assert.Equal(0, field.Length);
        return rows;
    }
}
