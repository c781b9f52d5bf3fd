using System.Net;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Jobs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Web;

/// <summary>
/// Issue 12's request-wide features through the HTTP front ends: smoothing fields reach the engine and each map says how
/// it was made, guided on a model without rectifiers is a problem on <c>guided</c>, <c>/api/concepts</c> returns the
/// DFF picture and legend, and job settings carry fusion and smoothing into the engine's request.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FeaturesWebTests : IAsyncLifetime
{
    private readonly StudioAppFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static MultipartFormDataContent Form(params (string Name, string Value)[] fields) =>
        PhotoForms.Of(File.ReadAllBytes(SharedResources.Image("cat.bmp")), "cat.bmp", fields);

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, params (string Name, string Value)[] fields)
    {
        using HttpResponseMessage response = await _client.PostAsync(path, Form(fields));
        string body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    [Fact]
    public async Task SmoothingFieldsReachTheEngineAndEachMapSaysHowItWasMade()
    {
        (HttpStatusCode status, JsonElement body) = await PostAsync("/api/explain", ("methods", "gradcam,eigencam"), ("aug_smooth", "true"), ("eigen_smooth", "on"));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        JsonElement[] maps = [.. body.GetProperty("maps").EnumerateArray()];
        Assert.Equal("aug-smoothed (6 passes); eigen-smoothed", maps.Single(m => m.GetProperty("method").GetString() == "gradcam").GetProperty("making").GetString());
        Assert.Equal("aug-smoothed (6 passes)", maps.Single(m => m.GetProperty("method").GetString() == "eigencam").GetProperty("making").GetString());
    }

    [Fact]
    public async Task GuidedOnAModelWithoutRectifiersIsAProblemOnTheGuidedField()
    {
        (HttpStatusCode status, JsonElement problem) = await PostAsync("/api/explain", ("methods", "gradcam"), ("guided", "true"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains("no rectifier", problem.GetProperty("errors").GetProperty("guided")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConceptsReturnThePictureTheLegendAndEachConceptsClasses()
    {
        (HttpStatusCode status, JsonElement body) = await PostAsync("/api/concepts", ("k", "3"));
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(3, body.GetProperty("concepts").GetArrayLength());
        Assert.Equal(3, body.GetProperty("legend").GetArrayLength());
        Assert.Equal(2, body.GetProperty("concepts")[0].GetProperty("classes").GetArrayLength());
        using Image<Rgb24> picture = Image.Load<Rgb24>(Convert.FromBase64String(body.GetProperty("picturePng").GetString()!));
        Assert.True(picture.Height > 0);
    }

    [Fact]
    public async Task ABadConceptCountIsAProblemOnTheConceptsField()
    {
        (HttpStatusCode status, JsonElement problem) = await PostAsync("/api/concepts", ("k", "40"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("from 1 to 16", problem.GetProperty("errors").GetProperty("concepts")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void JobSettingsCarryFusionAndSmoothingIntoTheEnginesRequest()
    {
        JobSettings settings = JobSubmitter.WithFeatures(JobSubmitter.ParseSettings("", ["gradcam"], "top1", "a, b"), "max", "true", "0");
        CamRequest request = EnginePhotoBatchExplainer.RequestOf(settings, "someone");
        Assert.Equal(["a", "b"], request.Layers);
        Assert.Equal("max", request.Fuse);
        Assert.True(request.AugSmooth);
        Assert.False(request.EigenSmooth);
    }
}
