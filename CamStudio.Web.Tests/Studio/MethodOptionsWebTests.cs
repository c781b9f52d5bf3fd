using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Tests.Jobs.Support;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.Extensions.DependencyInjection;
using static TorchSharp.torch;

namespace CamStudio.Tests.Web;

/// <summary>
/// Method options through the HTTP front ends: the API's <c>options</c> field reaches the method, a bad option is a
/// problem on <c>options</c> (from the engine's one check), the model details list each method's options, and a
/// job keeps its options (stored, listed, exported).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class MethodOptionsWebTests : IAsyncLifetime
{
    private readonly StudioAppFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        _factory.Services.GetRequiredService<CamEngine>().Methods.Register(new Scaled(1));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private static MultipartFormDataContent Form(params (string Name, string Value)[] fields) =>
        PhotoForms.Of(File.ReadAllBytes(SharedResources.Image("cat.bmp")), "cat.bmp", fields);

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(params (string Name, string Value)[] fields)
    {
        using HttpResponseMessage response = await _client.PostAsync("/api/explain", Form(fields));
        string body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    private static double RawMax(JsonElement result) =>
        result.GetProperty("maps")[0].GetProperty("max").GetDouble();

    [Fact]
    public async Task TheApiOptionReachesTheMethod()
    {
        (HttpStatusCode plainStatus, JsonElement plain) = await PostAsync(("methods", "scaled"));
        (HttpStatusCode scaledStatus, JsonElement scaled) = await PostAsync(("methods", "scaled"), ("options", "scaled.factor=4"));
        Assert.True(plainStatus == HttpStatusCode.OK, plain.ToString());
        Assert.True(scaledStatus == HttpStatusCode.OK, scaled.ToString());
        Assert.Equal(4 * RawMax(plain), RawMax(scaled), 1e-3);
    }

    [Theory]
    [InlineData("factor", "Option 'factor' is not of the form name=value")]
    [InlineData("factor=0", "Option 'factor' of scaled must be a number from 0.5 to 8")]
    [InlineData("samples=3", "Unknown option 'samples' for scaled. Options they take: scaled: factor.")]
    public async Task ABadOptionIsAProblemOnTheOptionsField(string options, string expected)
    {
        (HttpStatusCode status, JsonElement problem) = await PostAsync(("methods", "scaled"), ("options", options));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        string detail = problem.GetProperty("errors").GetProperty("options")[0].GetString()!;
        Assert.StartsWith(expected, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheModelDetailsListEachMethodsOptions()
    {
        JsonElement details = await _client.GetFromJsonAsync<JsonElement>("/api/models/mobilenetv2");
        JsonElement scaled = details.GetProperty("methods").EnumerateArray().Single(m => m.GetProperty("id").GetString() == "scaled");
        JsonElement option = Assert.Single(scaled.GetProperty("options").EnumerateArray());
        Assert.Equal("factor", option.GetProperty("name").GetString());
        Assert.Equal(1, option.GetProperty("default").GetDouble());
        Assert.Equal(8, option.GetProperty("max").GetDouble());
    }

    [Fact]
    public async Task AJobKeepsItsOptionsAndABadOneIsRefusedBeforeAnythingIsQueued()
    {
        using var jobs = new JobsAppFactory(batchSize: 1);
        jobs.Services.GetRequiredService<CamEngine>().Methods.Register(new Scaled(1));
        using HttpClient client = jobs.CreateClient();

        MultipartFormDataContent bad = JobRequests.Photos(1, methods: "scaled");
        bad.Add(new StringContent("scaled.factor=100"), "options");
        using (HttpResponseMessage refused = await client.PostAsync("api/jobs", bad))
        {
            string body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, body);
            Assert.Contains("Option 'factor' of scaled must be a number from 0.5 to 8", body, StringComparison.Ordinal);
            Assert.Contains("\"field\":\"options\"", body, StringComparison.Ordinal);
        }

        MultipartFormDataContent good = JobRequests.Photos(1, methods: "scaled");
        good.Add(new StringContent("scaled.factor=2"), "options");
        string id = await JobRequests.SubmitAsync(client, good);
        JsonElement done = await JobRequests.WaitForEndAsync(client, id);
        Assert.Equal("completed", done.GetProperty("state").GetString());
        Assert.Equal("2", done.GetProperty("settings").GetProperty("options").GetProperty("scaled.factor").GetString());
    }

    /// <summary>A test method: the channel mean times <c>factor</c>.</summary>
    private sealed class Scaled(double factor) : ICamMethod
    {
        public string Id => "scaled";
        public string DisplayName => "Scaled mean";
        public string Paper => "none (a test method)";
        public MethodRequirements Requirements => MethodRequirements.None;
        public bool IsClassSpecific => false;
        public IReadOnlyList<MethodOption> Options { get; } = [new("factor", "what the mean is multiplied by", 1, 0.5, 8)];
        public ICamMethod WithOptions(MethodOptionValues values) => new Scaled(values["factor"]);
        public Tensor Compute(CamInputs inputs) => inputs.Activations.relu().mean([1]) * factor;
    }
}
