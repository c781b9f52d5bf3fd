using System.Net;
using System.Text.Json;
using CamStudio.Tests.Cam;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Web;

/// <summary><c>POST /api/evaluate</c> and <c>/api/recommend</c> through the app's engine: scores, curves, ranks; problems on bad settings.</summary>
[Collection(TorchCollection.Name)]
public sealed class StudioMetricsApiTests : IAsyncLifetime
{
    private const string Tiny = "tiny-metrics";
    private readonly StudioAppFactory _factory = new();
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        await _factory.Services.AddModelAsync(Tiny, TinyCnn.GapLinear(inputSize: 32));
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static MultipartFormDataContent Form(params (string Name, string Value)[] fields)
    {
        using var image = new Image<Rgb24>(64, 48);
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++)
                image[x, y] = new Rgb24((byte)(x * 4), (byte)(y * 5), (byte)((x * y) % 256));
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return PhotoForms.Of(stream.ToArray(), "ramp.png", fields);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, MultipartFormDataContent form)
    {
        HttpResponseMessage response = await _client.PostAsync(path, form);
        string body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    [Fact]
    public async Task EvaluateReturnsScoresCurvesAndBaselines()
    {
        (HttpStatusCode status, JsonElement body) = await PostAsync("/api/evaluate", Form(("model", Tiny), ("methods", "gradcam,layercam"),
            ("metrics", "deletion,insertion,drop"), ("baselines", "true"), ("steps", "4"), ("box", "0,0,32,24")));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(["deletion", "insertion", "drop", "pointing"], body.GetProperty("metrics").EnumerateArray().Select(e => e.GetString()));
        JsonElement[] maps = body.GetProperty("maps").EnumerateArray().ToArray();
        Assert.Equal(["gradcam", "layercam", "baseline-random", "baseline-centre", "baseline-sobel"], maps.Select(m => m.GetProperty("method").GetString()));
        foreach (JsonElement map in maps)
        {
            double[] fractions = map.GetProperty("fractions").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double[] insertion = map.GetProperty("insertionCurve").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal([0, 0.25, 0.5, 0.75, 1], fractions); // 32² positions, step 256
            double auc = Enumerable.Range(1, 4).Sum(i => (fractions[i] - fractions[i - 1]) * (insertion[i] + insertion[i - 1]) / 2);
            Assert.Equal(auc, map.GetProperty("insertionAuc").GetDouble(), 1e-6);
            Assert.Equal(map.GetProperty("probability").GetDouble(), insertion[^1], 1e-5);
            Assert.Equal(JsonValueKind.Null, map.GetProperty("roadMorf").ValueKind);
            Assert.Contains(map.GetProperty("pointingHit").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
            Assert.False(string.IsNullOrEmpty(map.GetProperty("npy").GetString()));
        }
        Assert.Contains(body.GetProperty("summary").EnumerateArray(), s => s.GetProperty("method").GetString() == "gradcam"
            && s.GetProperty("metrics").GetProperty("deletion_auc").GetProperty("count").GetInt32() == 1);
    }

    [Fact]
    public async Task RecommendRanksPairsWithTheBaselines()
    {
        (HttpStatusCode status, JsonElement body) = await PostAsync("/api/recommend", Form(("model", Tiny), ("lastLayers", "2"), ("steps", "4")));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        JsonElement[] ranked = body.GetProperty("ranked").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(1, ranked.Length), ranked.Select(r => r.GetProperty("rank").GetInt32()));
        Assert.Equal(3, ranked.Count(r => r.GetProperty("isBaseline").GetBoolean()));
        double[] scores = ranked.Select(r => r.GetProperty("score").GetDouble()).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal(["conv2", "relu2"], body.GetProperty("layers").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("/api/evaluate", "metrics", "speed", "metrics", "Unknown metric 'speed'")]
    [InlineData("/api/evaluate", "box", "0,0,500,10", "box", "is not inside the 64×48 photo")]
    [InlineData("/api/evaluate", "steps", "0", "steps", "Steps must be between 1 and 1000, got 0.")]
    [InlineData("/api/evaluate", "steps", "many", "steps", "'steps' must be a whole number, got 'many'.")]
    [InlineData("/api/recommend", "score", "vibes", "score", "Unknown score 'vibes'")]
    [InlineData("/api/recommend", "lastLayers", "99", "layers", "The sweep takes the last 0–16 spatial layers, got 99.")]
    public async Task BadSettingsAreProblemDetailsOnTheirField(string path, string name, string value, string field, string message)
    {
        (HttpStatusCode status, JsonElement body) = await PostAsync(path, Form(("model", Tiny), (name, value)));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(message, body.GetProperty("errors").GetProperty(field)[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingImageIsAProblem()
    {
        var form = new MultipartFormDataContent { { new StringContent("gradcam"), "methods" } };
        (HttpStatusCode status, JsonElement body) = await PostAsync("/api/evaluate", form);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.GetProperty("errors").TryGetProperty("image", out _));
    }
}
