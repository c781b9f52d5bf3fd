using System.Net;
using System.Text;
using System.Text.Json;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using CamStudio.Web.Studio;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CamStudio.Tests.Web;

/// <summary>
/// <c>POST /api/explain</c> under hostile input, over a scripted engine (no torch): garbage multipart is a 400, the
/// number of maps is bounded before anything is computed, and a 500 never shows exception types or server paths.
/// </summary>
[Collection(TorchCollection.Name)] // the factory's model catalog validates the shared model with torch
public sealed class StudioApiRobustnessTests : IAsyncLifetime
{
    private readonly FakeEngineAppFactory _factory = new();
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    private FakeStudioEngine Engine => _factory.Engine;

    private sealed class FakeEngineAppFactory : StudioAppFactory
    {
        public FakeStudioEngine Engine { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureTestServices(services =>
            {
                services.RemoveAll<IStudioEngine>();
                services.AddSingleton<IStudioEngine>(Engine);
            });
        }
    }

    private static MultipartFormDataContent Photo(params (string Name, string Value)[] fields) =>
        PhotoForms.Of(FakeStudioEngine.TinyPng(8, 8), "tiny.png", fields);

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Exception", body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Theory]
    [InlineData("multipart/form-data", "no boundary at all")]
    [InlineData("multipart/form-data; boundary=xyz", "garbage that never has a boundary line")]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\u0089PNG truncated")]
    [InlineData("multipart/form-data; boundary=xyz", "--xyz\r\nbroken header line\r\n\r\nx\r\n--xyz--\r\n")]
    public async Task GarbageMultipartIsA400Problem(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await _client.PostAsync("/api/explain", content);
        JsonElement problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("multipart/form-data", problem.GetProperty("detail").GetString());
        Assert.Equal(0, Engine.ExplainCalls);
    }

    [Fact]
    public async Task MoreMapsThanTheLimitAreRefusedBeforeAnythingIsComputed()
    {
        // 2 methods × top6 = 12 maps, over a limit of 8 (set below the default of 16 for this test).
        await using var factory = new FakeEngineAppFactory();
        factory.Settings["CamStudio:MaxMapsPerResponse"] = "8";
        using HttpClient client = factory.CreateClient();
        using var response = await client.PostAsync("/api/explain", Photo(("methods", "gradcam,gradcampp"), ("classes", "top6")));
        JsonElement problem = await ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("12 maps", detail);
        Assert.Contains("at most 8", detail);
        Assert.Contains("CamStudio:MaxMapsPerResponse", detail);
        Assert.Equal(0, factory.Engine.ExplainCalls);

        using var fits = await client.PostAsync("/api/explain", Photo(("methods", "gradcam,gradcampp"), ("classes", "top3")));
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(6, JsonDocument.Parse(await fits.Content.ReadAsStringAsync()).RootElement.GetProperty("maps").GetArrayLength());
    }

    [Fact]
    public async Task AnEngineFailureIsA500WithAnIdButNoExceptionTypeOrServerPath()
    {
        Engine.Failure = new InvalidOperationException("libtorch blew up reading /srv/secret/models/net.onnx");
        using var response = await _client.PostAsync("/api/explain", Photo());
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.DoesNotContain("InvalidOperation", body);
        Assert.DoesNotContain("/srv/secret", body);
        Assert.DoesNotContain("libtorch", body);
        string detail = JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString()!;
        Assert.Matches(@"^The engine failed on tiny\.png; see the server log \(id [^)]+\)\.$", detail);
    }

    [Fact]
    public async Task AStreamedRequestWritesProgressLinesThenTheResultLine()
    {
        Engine.ProgressToReport = new CamStudio.Engine.Cam.ExplainProgress(320, 1280, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12));
        using var response = await _client.PostAsync("/api/explain?progress=ndjson", Photo(("methods", "scorecam")));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        string[] lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 2, body);
        JsonElement progress = JsonDocument.Parse(lines[0]).RootElement.GetProperty("progress");
        Assert.Equal((320, 1280), (progress.GetProperty("done").GetInt64(), progress.GetProperty("total").GetInt64()));
        Assert.Equal(12000, progress.GetProperty("remainingMs").GetInt64());
        JsonElement result = JsonDocument.Parse(lines[^1]).RootElement.GetProperty("result");
        Assert.Equal("scorecam", result.GetProperty("maps")[0].GetProperty("method").GetString());
        // The API's work is scripted: it waits behind the studio's clicks, under the caller's session.
        CamStudio.Engine.CamRequest request = Assert.Single(Engine.ExplainRequests);
        Assert.Equal(CamStudio.Engine.Runtime.WorkPriority.Batch, request.Priority);
        Assert.Equal(CamStudio.Web.Access.StudioCaller.HostSessionId, request.Owner);
    }

    [Fact]
    public async Task AStreamedRequestThatTheEngineRefusesEndsWithAnErrorLine()
    {
        Engine.Failure = new CamStudio.Engine.CamRequestException(CamStudio.Engine.CamRequestErrorKind.MethodNotApplicable, "methods", "Method cam needs a pooling head.");
        using var response = await _client.PostAsync("/api/explain?progress=ndjson", Photo(("methods", "cam")));
        string[] lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        JsonElement error = JsonDocument.Parse(lines[^1]).RootElement.GetProperty("error");
        Assert.Equal(422, error.GetProperty("status").GetInt32());
        Assert.Equal("Method cam needs a pooling head.", error.GetProperty("errors").GetProperty("methods")[0].GetString());
    }
}
