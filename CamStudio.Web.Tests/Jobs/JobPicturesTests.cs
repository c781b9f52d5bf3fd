using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Jobs;

/// <summary>
/// Guided backpropagation / Guided Grad-CAM and concepts (Deep Feature Factorization) as optional job settings
/// (issue 12): kept in the settings, checked by the engine at submission, written per photo under the CLI's names,
/// pointed at by results.csv, and equal to what the engine gives for that photo directly.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class JobPicturesTests : IAsyncLifetime
{
    private const string Tiny = "tiny-pictures";
    private const int InputSize = 32;

    // Batches of one: each photo goes through the engine alone, as the direct calls below do.
    private readonly JobsAppFactory _app = new(batchSize: 1);
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _app.CreateClient();
        await _app.Services.AddModelAsync(Tiny, TinyCnn.GapLinear(inputSize: InputSize));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    /// <summary>A 64×48 colour ramp (not square, so the concept picture's photo part has a known size).</summary>
    private static byte[] Ramp()
    {
        using var image = new Image<Rgb24>(64, 48);
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++)
                image[x, y] = new Rgb24((byte)(x * 4), (byte)(y * 5), (byte)((x * y) % 256));
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    private static MultipartFormDataContent Form(IReadOnlyList<(string Name, byte[] Bytes)> photos, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in photos)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "photos", name);
        }
        foreach (var (name, value) in fields)
            form.Add(new StringContent(value), name);
        return form;
    }

    private static readonly (string Name, string Value)[] TinyJob = [("model", Tiny), ("methods", "gradcam,cam"), ("classes", "top1"), ("layer", "relu2")];

    [Fact]
    public void SettingsWithPicturesRoundTripThroughTheStoredJson()
    {
        JobSettings settings = JobSubmitter.WithPictures(JobSettings.Default, "on", " 4 ", "3");
        Assert.True(settings.Guided);
        Assert.Equal(new JobConceptSettings(4) { ClassesPerConcept = 3 }, settings.Concepts);
        // The store keeps the settings as JSON with the web defaults (JobRows).
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        JobSettings back = JsonSerializer.Deserialize<JobSettings>(JsonSerializer.Serialize(settings, json), json)!;
        Assert.True(back.Guided);
        Assert.Equal(settings.Concepts, back.Concepts);
        // Absent fields: no pictures, and the engine's requests say so.
        JobSettings none = JobSubmitter.WithPictures(JobSettings.Default, null, "", null);
        Assert.False(none.Guided);
        Assert.Null(none.Concepts);
        Assert.Null(EnginePhotoBatchExplainer.ConceptsOf(none, "o"));
        Assert.True(EnginePhotoBatchExplainer.RequestOf(settings, "o").Guided);
        ConceptRequest concepts = EnginePhotoBatchExplainer.ConceptsOf(settings with { Layer = "relu2" }, "o")!;
        Assert.Equal((4, 3, "relu2", WorkPriority.Batch), (concepts.Concepts, concepts.ClassesPerConcept, concepts.Layer, concepts.Priority));
    }

    [Theory]
    [InlineData("concepts=0", HttpStatusCode.BadRequest, "concepts", "Concepts must be from 1 to 16, got 0")]
    [InlineData("concepts=17", HttpStatusCode.BadRequest, "concepts", "Concepts must be from 1 to 16, got 17")]
    [InlineData("concepts=many", HttpStatusCode.BadRequest, "concepts", "Concepts must be a whole number, got 'many'")]
    [InlineData("concepts=3;concept_classes=9", HttpStatusCode.BadRequest, "concepts", "Classes per concept must be from 0 to 5, got 9")]
    // relu2 of the tiny network has 6 channels: NMF cannot find more concepts than that.
    [InlineData("concepts=7", HttpStatusCode.BadRequest, "concepts", "has 6 channels")]
    public async Task BadConceptSettingsAreRefusedAtSubmissionWithAProblemOnTheirField(string fields, HttpStatusCode status, string field, string expected)
    {
        var pairs = fields.Split(';').Select(f => f.Split('=')).Select(p => (p[0], p[1]));
        using var response = await _client.PostAsync("api/jobs", Form([("ramp.png", Ramp())], [.. TinyJob, .. pairs]));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
        JsonElement problem = JsonDocument.Parse(body).RootElement;
        Assert.Contains(expected, problem.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(await JobsOfAsync());
    }

    [Fact]
    public async Task GuidedOnAModelWithoutRectifiersIsRefusedAtSubmission()
    {
        // The shared MobileNetV2 (ONNX) has no rectifier the engine can guide.
        using var response = await _client.PostAsync("api/jobs", Form([("ramp.png", Ramp())], ("methods", "gradcam"), ("guided", "true")));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("no rectifier", JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("guided")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(await JobsOfAsync());
    }

    private async Task<JsonElement[]> JobsOfAsync()
    {
        JsonElement list = JsonDocument.Parse(await _client.GetStringAsync("api/jobs")).RootElement;
        return [.. list.GetProperty("jobs").EnumerateArray()];
    }

    [Fact]
    public async Task AGuidedJobWithConceptsWritesThePicturesTheEngineGivesForEachPhoto()
    {
        byte[] chelsea = await File.ReadAllBytesAsync(SharedResources.Image("chelsea.png"));
        (string Name, byte[] Bytes)[] photos = [("ramp.png", Ramp()), ("chelsea.png", chelsea)];
        string id = await JobRequests.SubmitAsync(_client, Form(photos, [.. TinyJob, ("guided", "true"), ("concepts", "3")]));
        JsonElement job = await JobRequests.WaitForEndAsync(_client, id, seconds: 300);
        Assert.Equal("completed", job.GetProperty("state").GetString());
        JsonElement settings = job.GetProperty("settings");
        Assert.True(settings.GetProperty("guided").GetBoolean());
        Assert.Equal(3, settings.GetProperty("concepts").GetProperty("count").GetInt32());

        using var export = await _client.GetAsync($"api/jobs/{id}/export");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        using var zip = new ZipArchive(await export.Content.ReadAsStreamAsync());
        List<Dictionary<string, string>> rows = JobCsv.Read(zip, "results.csv", out string[] header);
        Assert.Equal(["guided_file", "guided_cam_file", "concepts_file"], header[11..14]);
        Assert.Equal(4, rows.Count); // 2 photos × 1 class × 2 methods

        CamEngine engine = _app.Services.GetRequiredService<CamEngine>();
        for (int p = 0; p < photos.Length; p++)
        {
            string stem = $"{p:D4}_{Path.GetFileNameWithoutExtension(photos[p].Name)}";
            using Image<Rgb24> photo = Image.Load<Rgb24>(photos[p].Bytes);
            EngineExplanation direct = await engine.ExplainAsync(new CamRequest
            {
                Model = Tiny, Methods = ["gradcam", "cam"], Classes = "top1", Layer = "relu2", Guided = true,
            }, [photo]);
            PhotoMaps maps = direct.Photos[0];
            int classIndex = maps.Guided.Single().ClassIndex;
            var photoRows = rows.Where(r => r["file"] == photos[p].Name).ToList();
            Assert.Equal(2, photoRows.Count);
            foreach (Dictionary<string, string> row in photoRows)
            {
                Assert.Equal(classIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), row["class_index"]);
                // The CLI's explain --guided names, in guided/.
                Assert.Equal($"guided/{stem}.guided.{classIndex}.png", row["guided_file"]);
                Assert.Equal($"guided/{stem}.{row["method"]}.{classIndex}.guided.png", row["guided_cam_file"]);
                Assert.Equal($"concepts/{stem}.concepts.png", row["concepts_file"]);

                // Guided images are at the model input's size, and equal the engine's own rendering for this photo.
                using Image<Rgb24> guided = ReadPng(zip, row["guided_file"]);
                Assert.Equal((InputSize, InputSize), (guided.Width, guided.Height));
                using (Image<Rgb24> expected = GuidedImageRenderer.Render(maps.Guided[0]))
                    AssertSamePixels(expected, guided, row["guided_file"]);
                using Image<Rgb24> cam = ReadPng(zip, row["guided_cam_file"]);
                using (Image<Rgb24> expected = GuidedImageRenderer.RenderWithMap(maps.Guided[0], maps.Maps.Single(m => m.Method == row["method"]).Map))
                    AssertSamePixels(expected, cam, row["guided_cam_file"]);
            }

            // The concept picture: the photo (≤ 1024 px, drawn at its own size) above a legend of 3 lines, as the engine draws it.
            ConceptExplanation concepts = await engine.ConceptsAsync(new ConceptRequest { Model = Tiny, Layer = "relu2", Concepts = 3 }, photo);
            Assert.Equal(3, concepts.Concepts.Count);
            using Image<Rgb24> picture = ReadPng(zip, $"concepts/{stem}.concepts.png");
            Assert.True(picture.Width >= photo.Width && picture.Height > photo.Height + 3 * 14, $"{picture.Width}×{picture.Height} for a {photo.Width}×{photo.Height} photo");
            using (Image<Rgb24> expected = concepts.Render(photo))
                AssertSamePixels(expected, picture, "concepts");
        }

        // The manifest names the pictures with their legends.
        using var manifest = JsonDocument.Parse(zip.GetEntry("manifest.json")!.Open());
        JsonElement pictures = manifest.RootElement.GetProperty("concepts").GetProperty("pictures");
        Assert.Equal(2, pictures.GetArrayLength());
        Assert.All(pictures.EnumerateArray(), p => Assert.Equal(3, p.GetProperty("legend").GetArrayLength()));
    }

    private static Image<Rgb24> ReadPng(ZipArchive zip, string entry)
    {
        ZipArchiveEntry found = zip.GetEntry(entry) ?? throw new Xunit.Sdk.XunitException($"{entry} is not in the export.");
        using Stream stream = found.Open();
        return Image.Load<Rgb24>(stream);
    }

    private static void AssertSamePixels(Image<Rgb24> expected, Image<Rgb24> actual, string what)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (int y = 0; y < expected.Height; y++)
            for (int x = 0; x < expected.Width; x++)
                Assert.True(expected[x, y] == actual[x, y], $"{what} at ({x}, {y}): {actual[x, y]}, the engine gives {expected[x, y]}");
    }
}
