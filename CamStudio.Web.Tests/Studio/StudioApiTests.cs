using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Engine.Imaging;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Web;

/// <summary>The HTTP API over the real engine and the shared MobileNetV2.</summary>
[Collection(TorchCollection.Name)]
public sealed class StudioApiTests : IClassFixture<StudioApiTests.Fixture>
{
    private readonly HttpClient _client;

    public StudioApiTests(Fixture fixture) => _client = fixture.Client;

    public sealed class Fixture : IAsyncLifetime
    {
        public StudioAppFactory Factory { get; } = new();

        public HttpClient Client { get; private set; } = null!;

        public Task InitializeAsync()
        {
            Client = Factory.CreateClient();
            return Task.CompletedTask;
        }

        public async Task DisposeAsync() => await Factory.DisposeAsync();
    }

    private static MultipartFormDataContent Form(byte[]? image, string fileName = "both.png", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        if (image is not null)
        {
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "image", fileName);
        }
        foreach ((string name, string value) in fields)
            form.Add(new StringContent(value), name);
        return form;
    }

    private static byte[] BothPng => File.ReadAllBytes(SharedResources.Image("both.png"));

    private async Task<JsonElement> PostOkAsync(MultipartFormDataContent form)
    {
        HttpResponseMessage response = await _client.PostAsync("/api/explain", form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private async Task<JsonElement> PostProblemAsync(HttpContent content, HttpStatusCode expected)
    {
        HttpResponseMessage response = await _client.PostAsync("/api/explain", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static string Detail(JsonElement problem) => problem.GetProperty("detail").GetString() ?? "";

    [Fact]
    public async Task BothPngIsABullMastiffAndEveryMapComesAsAPngOverlayAndAnNpyArray()
    {
        JsonElement result = await PostOkAsync(Form(BothPng, "both.png", ("methods", "gradcam,layercam"), ("colormap", "viridis"), ("alpha", "0.6")));

        JsonElement top = result.GetProperty("predictions")[0];
        Assert.Equal("bull mastiff", top.GetProperty("className").GetString());
        Assert.Equal(243, top.GetProperty("classIndex").GetInt32());
        Assert.Equal(2, result.GetProperty("maps").GetArrayLength());
        using Image<Rgb24> photo = Image.Load<Rgb24>(SharedResources.Image("both.png"));
        foreach (JsonElement map in result.GetProperty("maps").EnumerateArray())
        {
            Assert.Equal("bull mastiff", map.GetProperty("className").GetString());
            byte[] png = Convert.FromBase64String(map.GetProperty("overlayPng").GetString()!);
            Assert.IsType<PngFormat>(Image.DetectFormat(png));
            using Image<Rgb24> overlay = Image.Load<Rgb24>(png);
            Assert.Equal((photo.Width, photo.Height), (overlay.Width, overlay.Height));

            NpyArray npy = NpyFormat.Read(Convert.FromBase64String(map.GetProperty("rawNpy").GetString()!));
            int width = map.GetProperty("width").GetInt32(), height = map.GetProperty("height").GetInt32();
            Assert.Equal([height, width], npy.Shape);
            Assert.Equal(map.GetProperty("min").GetSingle(), npy.Data.Min());
            Assert.Equal(map.GetProperty("max").GetSingle(), npy.Data.Max());
            Assert.True(npy.Data.Max() > npy.Data.Min(), "a flat map explains nothing");
        }
        Assert.Equal(["gradcam", "layercam"], result.GetProperty("maps").EnumerateArray().Select(m => m.GetProperty("method").GetString()));
    }

    [Fact]
    public async Task ClassesGivenByNameAndIndexAreExplainedInThatOrder()
    {
        // "tabby, tabby cat" holds a comma: it is still one class.
        JsonElement result = await PostOkAsync(Form(BothPng, "both.png", ("classes", "tiger cat,tabby, tabby cat,243")));

        Assert.Equal([282, 281, 243], result.GetProperty("maps").EnumerateArray().Select(m => m.GetProperty("classIndex").GetInt32()));
    }

    [Fact]
    public async Task Top3ExplainsTheThreeMostProbableClasses()
    {
        JsonElement result = await PostOkAsync(Form(BothPng, "both.png", ("classes", "top3")));

        int[] predicted = result.GetProperty("predictions").EnumerateArray().Take(3).Select(p => p.GetProperty("classIndex").GetInt32()).ToArray();
        Assert.Equal(predicted, result.GetProperty("maps").EnumerateArray().Select(m => m.GetProperty("classIndex").GetInt32()));
    }

    [Fact]
    public async Task ModelsListsTheRegisteredModelAndTheMethods()
    {
        JsonElement models = await _client.GetFromJsonAsync<JsonElement>("/api/models");

        Assert.Equal("mobilenetv2", models.GetProperty("defaultModel").GetString());
        Assert.Equal(["mobilenetv2"], models.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Contains("gradcam", models.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task HealthzAnswersOk()
    {
        HttpResponseMessage response = await _client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AMissingImageFieldIsAValidationProblemNamingTheField()
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(BothPng), "photo", "both.png" } };

        JsonElement problem = await PostProblemAsync(form, HttpStatusCode.BadRequest);

        string message = problem.GetProperty("errors").GetProperty("image")[0].GetString()!;
        Assert.Contains("'image'", message);
        Assert.Contains("'photo'", message);
    }

    [Fact]
    public async Task ABodyThatIsNotAFormIsUnsupportedMediaType()
    {
        JsonElement problem = await PostProblemAsync(JsonContent.Create(new { image = "both.png" }), HttpStatusCode.UnsupportedMediaType);

        Assert.Contains("multipart/form-data", Detail(problem));
    }

    [Fact]
    public async Task AFileThatIsNotAPhotoIsUnprocessableAndNamed()
    {
        JsonElement problem = await PostProblemAsync(Form("definitely not a PNG"u8.ToArray(), "broken.png"), (HttpStatusCode)422);

        Assert.StartsWith("broken.png:", Detail(problem));
    }

    [Fact]
    public async Task ATruncatedPhotoIsUnprocessableAndNamed()
    {
        byte[] half = BothPng[..(BothPng.Length / 2)];

        JsonElement problem = await PostProblemAsync(Form(half, "half.png"), (HttpStatusCode)422);

        Assert.StartsWith("half.png:", Detail(problem));
    }

    [Theory]
    [InlineData("model", "nope", "No model named 'nope'", "mobilenetv2")]
    [InlineData("methods", "gradcam,magiccam", "method 'magiccam'", "layercam")]
    [InlineData("classes", "unicorn", "Unknown class 'unicorn'", "top1")]
    [InlineData("classes", "mastiff", "Unknown class 'mastiff'", "bull mastiff")]
    [InlineData("classes", "5000", "Class index 5000 is out of range", "0-999")]
    [InlineData("classes", "top0", "'top0'", "between 1 and")]
    [InlineData("layer", "features.99", "no capturable layer 'features.99'", "auto")]
    [InlineData("colormap", "rainbow", "Unknown colormap 'rainbow'", "viridis")]
    [InlineData("alpha", "1.5", "alpha must be a number between 0 and 1", "1.5")]
    [InlineData("alpha", "half", "alpha must be a number between 0 and 1", "half")]
    public async Task ABadParameterIsAValidationProblemThatSaysWhatWasWrong(string field, string value, string expected, string hint)
    {
        JsonElement problem = await PostProblemAsync(Form(BothPng, "both.png", (field, value)), HttpStatusCode.BadRequest);

        Assert.Contains(expected, Detail(problem));
        Assert.Contains(hint, Detail(problem));
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}'");
    }

    [Fact]
    public async Task ClassicCamOnALayerWithoutAPoolingHeadIsUnprocessableSuggestingAnotherMethod()
    {
        // The first spatial layer of the network is far from the classifier.
        string layer = await FirstSpatialLayerAsync();

        JsonElement problem = await PostProblemAsync(Form(BothPng, "both.png", ("methods", "cam"), ("layer", layer)), HttpStatusCode.UnprocessableEntity);

        Assert.Contains("gradcam", Detail(problem));
        Assert.Contains(layer, Detail(problem));
    }

    private async Task<string> FirstSpatialLayerAsync()
    {
        JsonElement model = await _client.GetFromJsonAsync<JsonElement>("/api/models/mobilenetv2");
        return model.GetProperty("layers").EnumerateArray().First(l => l.GetProperty("spatial").GetBoolean()).GetProperty("name").GetString()!;
    }

    [Fact]
    public async Task AModelsLayersAreListedWithShapesAndTheAutoLayerIsOneOfThem()
    {
        JsonElement model = await _client.GetFromJsonAsync<JsonElement>("/api/models/mobilenetv2");

        Assert.Equal(1000, model.GetProperty("classCount").GetInt32());
        string auto = model.GetProperty("autoLayer").GetString()!;
        JsonElement autoLayer = model.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == auto);
        // MobileNetV2's last feature map at 224×224 input: 1280 channels of 7×7.
        Assert.Equal([1, 1280, 7, 7], autoLayer.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
    }

    [Fact]
    public async Task AnUnknownModelsDetailsAreNotFound()
    {
        HttpResponseMessage response = await _client.GetAsync("/api/models/nope");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("camstudio models add", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task APhotoOverTheByteLimitIsPayloadTooLargeAndNamed()
    {
        await using var factory = new StudioAppFactory();
        factory.Settings["CamStudio:MaxUploadBytes"] = "20000";
        HttpClient client = factory.CreateClient();

        HttpResponseMessage response = await client.PostAsync("/api/explain", Form(BothPng, "both.png"));

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode}: {body}");
        string detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        Assert.Contains("both.png", detail);
    }

    [Fact]
    public async Task APhotoOverThePixelLimitIsPayloadTooLargeAndSaysItsSize()
    {
        await using var factory = new StudioAppFactory();
        factory.Settings["CamStudio:MaxPixels"] = "10000";
        HttpClient client = factory.CreateClient();

        HttpResponseMessage response = await client.PostAsync("/api/explain", Form(BothPng, "both.png"));

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode}: {body}");
        string detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        Assert.StartsWith("both.png:", detail);
        Assert.Contains("224×224", detail);
        Assert.Contains("megapixel limit", detail);
    }
}
