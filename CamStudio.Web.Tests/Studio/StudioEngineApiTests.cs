using System.Net;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Studio;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace CamStudio.Tests.Web;

/// <summary>
/// The studio's API and pictures through the app's one <see cref="CamEngine"/>: a centre-crop model's margins stay
/// the photo in the API PNG, the studio overlay and the sheet (and the first two are pixel-identical), a user-written
/// method registered on the engine runs through <c>POST /api/explain</c>.
/// </summary>
/// <remarks>
/// How the studio's overlay is rendered here (for the cross-front-end comparison): the engine's placed map from
/// <see cref="IStudioEngine.ExplainAsync"/>, drawn by <see cref="StudioPictures.RenderOverlayPngAsync"/> at full
/// resolution, the path the page's download takes (the page's view is the same at the display size).
/// </remarks>
[Collection(TorchCollection.Name)]
public sealed class StudioEngineApiTests : IAsyncLifetime
{
    private const string CropModel = "tiny-crop";
    private static readonly Rgb24 Grey = new(90, 90, 90);
    private readonly StudioAppFactory _factory = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        await _factory.Services.AddModelAsync(CropModel, new CentreCrop(TinyCnn.GapLinear(inputSize: 32)));
        _factory.Services.GetRequiredService<CamEngine>().Methods.Register(new MeanActivation());
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static byte[] WidePhoto()
    {
        using var image = new Image<Rgb24>(300, 100, Grey);
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    private static MultipartFormDataContent Form(byte[] image, params (string Name, string Value)[] fields) =>
        PhotoForms.Of(image, "wide.png", fields);

    private async Task<JsonElement> PostOkAsync(MultipartFormDataContent form)
    {
        HttpResponseMessage response = await _client.PostAsync("/api/explain", form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task ACentreCropModelsMarginsStayThePhotoInTheApiPngTheStudioOverlayAndTheSheet()
    {
        JsonElement result = await PostOkAsync(Form(WidePhoto(), ("model", CropModel), ("methods", "gradcam"), ("alpha", "1")));
        using var api = Image.Load<Rgb24>(Convert.FromBase64String(result.GetProperty("maps")[0].GetProperty("overlayPng").GetString()!));
        // 300×100 → shorter side to 32, centre 32×32: the model saw the middle 100×100 square.
        JsonElement placement = result.GetProperty("placement");
        Assert.Equal(1 / 3.0, placement.GetProperty("left").GetDouble(), 1e-9);
        Assert.Equal(1 / 3.0, placement.GetProperty("width").GetDouble(), 1e-9);
        AssertMarginsArePhoto(api, 100, 200);

        // The studio: the same request through the engine, drawn by the page's renderer.
        var pictures = _factory.Services.GetRequiredService<StudioPictures>();
        IStudioEngine studio = _factory.Services.GetRequiredService<IStudioEngine>();
        using StudioPhoto photo = await pictures.DecodePhotoAsync("wide.png", new MemoryStream(WidePhoto()), CancellationToken.None);
        EngineExplanation explained = await studio.ExplainAsync(new CamRequest { Model = CropModel, Methods = ["gradcam"] }, [photo.Pixels], null, CancellationToken.None);
        PlacedMap map = explained.Photos[0].Maps[0].Map;
        byte[] overlayPng = await pictures.RenderOverlayPngAsync(photo, map, new OverlayStyle("jet", 1f), fullResolution: true, CancellationToken.None);
        using var overlay = Image.Load<Rgb24>(overlayPng);
        AssertMarginsArePhoto(overlay, 100, 200);
        Assert.Equal(Pixels(api), Pixels(overlay));

        // The sheet: each cell 320×107 keeps its outer thirds as the photo.
        byte[] sheetPng = await pictures.RenderSheetPngAsync(photo, new ComparisonLayout(["c"], ["m"], [[map]]), new OverlayStyle("jet", 1f), false, CancellationToken.None);
        using var sheet = Image.Load<Rgb24>(sheetPng);
        int coloured = 0, margin = 0;
        for (int x = 0; x < sheet.Width; x++)
        {
            Rgb24 p = sheet[x, sheet.Height / 2];
            if (p == Grey)
                margin++;
            else if (p != new Rgb24(255, 255, 255) && p != new Rgb24(0, 0, 0))
                coloured++;
        }
        Assert.InRange(margin, 2 * 100, 2 * 110);  // two thirds of a 320-pixel cell stay the grey photo
        Assert.True(coloured >= 100, $"the middle third is coloured ({coloured} pixels)");
    }

    private static void AssertMarginsArePhoto(Image<Rgb24> image, int cropLeft, int cropRight)
    {
        Assert.Equal((300, 100), (image.Width, image.Height));
        for (int y = 0; y < image.Height; y += 7)
        {
            for (int x = 0; x < image.Width; x += 5)
            {
                if (x < cropLeft - 1 || x > cropRight)
                    Assert.True(image[x, y] == Grey, $"margin pixel ({x}, {y}) is {image[x, y]}, not the photo");
            }
        }
        Assert.NotEqual(Grey, image[150, 50]);
    }

    private static Rgb24[] Pixels(Image<Rgb24> image)
    {
        var pixels = new Rgb24[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    [Fact]
    public async Task AUserWrittenMethodRegisteredOnTheEngineRunsThroughTheApi()
    {
        JsonElement result = await PostOkAsync(Form(WidePhoto(), ("model", CropModel), ("methods", "mean-activation")));

        JsonElement map = Assert.Single(result.GetProperty("maps").EnumerateArray());
        Assert.Equal("mean-activation", map.GetProperty("method").GetString());
        // The tiny network's relu2 is 6 channels of 16×16 for a 32×32 input.
        NpyArray raw = NpyFormat.Read(Convert.FromBase64String(map.GetProperty("rawNpy").GetString()!));
        Assert.Equal([16L, 16L], raw.Shape.Select(d => (long)d));
        NpyArray normalised = NpyFormat.Read(Convert.FromBase64String(map.GetProperty("npy").GetString()!));
        Assert.Equal([32L, 32L], normalised.Shape.Select(d => (long)d));
        Assert.InRange(normalised.Data.Min(), 0f, 1e-6f);
        Assert.InRange(normalised.Data.Max(), 1f - 1e-6f, 1f);
        // A mean of ReLU outputs is never negative.
        Assert.All(raw.Data, v => Assert.True(v >= 0));
    }

    [Fact]
    public async Task AModelsMethodsAreListedWithAvailabilityAndTheReason()
    {
        // The first spatial layer of the network is far from the classifier: no pooling + linear head after it.
        using JsonDocument listing = JsonDocument.Parse(await _client.GetStringAsync("/api/models/mobilenetv2"));
        string first = listing.RootElement.GetProperty("layers").EnumerateArray().First(l => l.GetProperty("spatial").GetBoolean()).GetProperty("name").GetString()!;
        using JsonDocument model = JsonDocument.Parse(await _client.GetStringAsync($"/api/models/mobilenetv2?layer={Uri.EscapeDataString(first)}"));
        JsonElement cam = model.RootElement.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "cam");
        Assert.False(cam.GetProperty("available").GetBoolean());
        Assert.Contains("global average pooling", cam.GetProperty("reason").GetString());
        JsonElement score = model.RootElement.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "scorecam");
        Assert.True(score.GetProperty("slow").GetBoolean());
        Assert.Contains(model.RootElement.GetProperty("methods").EnumerateArray(), m => m.GetProperty("id").GetString() == "mean-activation");
    }

    /// <summary>A model of the tiny network that centre-crops photos (as a manifest's <c>resize: center-crop</c> does).</summary>
    private sealed class CentreCrop(ICamModel inner) : ICamModel
    {
        public string Name => CropModel;
        public PreprocessingSpec Preprocessing => inner.Preprocessing with { Resize = CamStudio.Engine.Imaging.ResizeMode.CenterCrop };
        public IReadOnlyList<string> Labels => inner.Labels;
        public Device Device => inner.Device;
        public IReadOnlyList<LayerInfo> Layers => inner.Layers;
        public string AutoLayer => inner.AutoLayer;
        public ModelCapabilities Capabilities => inner.Capabilities;
        public LinearHead? HeadAfter(string layer) => inner.HeadAfter(layer);
        public ModelRun Run(Tensor input, string layer, bool trackGradients) => inner.Run(input, layer, trackGradients);
        public void Dispose() => inner.Dispose();
    }

    private sealed class MeanActivation : ICamMethod
    {
        public string Id => "mean-activation";
        public string DisplayName => "Mean activation";
        public string Paper => "none (a test method)";
        public MethodRequirements Requirements => MethodRequirements.None;
        public bool IsClassSpecific => false;
        public Tensor Compute(CamInputs inputs) => inputs.Activations.mean([1]);
    }
}

/// <summary>The one mapping of the engine's refusals (explain and jobs alike): every kind to its status, keyed by the field at fault.</summary>
public sealed class ApiProblemsTests
{
    [Theory]
    [InlineData(CamRequestErrorKind.UnknownModel, "model", 400)]
    [InlineData(CamRequestErrorKind.BrokenModel, "model", 422)]
    [InlineData(CamRequestErrorKind.ModelLoadFailed, "model", 422)]
    [InlineData(CamRequestErrorKind.UnknownMethod, "methods", 400)]
    [InlineData(CamRequestErrorKind.MethodNotApplicable, "methods", 422)]
    [InlineData(CamRequestErrorKind.UnknownLayer, "layer", 400)]
    [InlineData(CamRequestErrorKind.UnsupportedLayer, "layer", 422)]
    [InlineData(CamRequestErrorKind.UnknownClass, "classes", 400)]
    [InlineData(CamRequestErrorKind.InvalidValue, "classes", 400)]
    [InlineData(CamRequestErrorKind.BadPhoto, "image", 422)]
    [InlineData(CamRequestErrorKind.PhotoTooLarge, "image", 413)]
    [InlineData(CamRequestErrorKind.TooMuchWork, "image", 422)]
    public void EachKindIsItsStatusWithTheFieldAsTheValidationKey(CamRequestErrorKind kind, string field, int status)
    {
        ApiProblem problem = ApiProblems.Of(new CamRequestException(kind, field, "what to do"));

        Assert.Equal(status, problem.Details.Status);
        Assert.Equal(["what to do"], problem.Details.Errors![field]);
        Assert.Equal(status, ApiProblems.StatusOf(kind)); // what a refused job gets too
    }

    [Fact]
    public void AnUnknownModelNamedByTheRouteIsNotFound()
    {
        ApiProblem problem = ApiProblems.Of(new CamRequestException(CamRequestErrorKind.UnknownModel, "model", "no such model"), routeField: "model");

        Assert.Equal(404, problem.Details.Status);
    }

    [Theory]
    [InlineData(PhotoDecodeErrorKind.TooLarge, 413)]
    [InlineData(PhotoDecodeErrorKind.Unreadable, 422)]
    [InlineData(PhotoDecodeErrorKind.NotFound, 422)]
    public void ADecodeErrorIsMappedByItsKindNotItsWords(PhotoDecodeErrorKind kind, int status)
    {
        // The reason says "limit" for every kind: only the kind decides.
        ApiProblem problem = ApiProblems.Of(new PhotoDecodeException(kind, "x.png", "a limit of words"));

        Assert.Equal(status, problem.Details.Status);
        Assert.True(problem.Details.Errors!.ContainsKey("image"));
    }

    [Fact]
    public void TheDecoderSaysWhichKindOfProblemAPhotoHas()
    {
        byte[] png = FakeStudioEngine.TinyPng(40, 30);
        var small = new PhotoDecoder(ImageLimits.Default with { MaxPixels = 100 });

        Assert.Equal(PhotoDecodeErrorKind.TooLarge, Assert.Throws<PhotoDecodeException>(() => small.Decode(png, "big.png")).Kind);
        Assert.Equal(PhotoDecodeErrorKind.Unreadable, Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode("not a photo"u8.ToArray(), "x.png")).Kind);
        Assert.Equal(PhotoDecodeErrorKind.Unreadable, Assert.Throws<PhotoDecodeException>(() => PhotoDecoder.Default.Decode(png[..(png.Length / 2)], "half.png")).Kind);
    }
}
