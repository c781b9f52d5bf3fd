using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using CamStudio.Tests.Support;
using CamStudio.Tests.Web.Support;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Web;

/// <summary>
/// Small truths of issue 14, item 11: the footer the README describes exists and says the version, the device and
/// libtorch; <c>/openapi/v1.json</c> documents every HTTP endpoint the app maps.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed partial class ServerTruthsTests : IAsyncLifetime
{
    private readonly StudioAppFactory _app = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task EveryPageHasAFooterWithTheVersionTheDeviceAndLibtorch()
    {
        using HttpClient client = _app.CreateClient();
        // The version of the web assembly, read here from its attribute (without the source hash).
        string version = typeof(CamStudio.Web.Jobs.JobsApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
        foreach (string page in new[] { "/", "/jobs", "/models" })
        {
            string html = await client.GetStringAsync(page);
            Match footer = FooterPattern().Match(html);
            Assert.True(footer.Success, $"{page} has no footer");
            string text = Regex.Replace(footer.Value, "<[^>]+>", " ");
            Assert.Contains($"CamStudio {version}", text);
            // This machine kind has no GPU: the CPU and its libtorch (TorchSharp 0.107 ships libtorch 2.x).
            Assert.Matches(@"CPU — libtorch 2\.\d+\.\d+, \d+ threads", System.Net.WebUtility.HtmlDecode(text));
        }
    }

    [Fact]
    public async Task OpenApiDocumentsEveryHttpEndpoint()
    {
        using HttpClient client = _app.CreateClient();
        using HttpResponseMessage response = await client.GetAsync("/openapi/v1.json");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        using JsonDocument document = JsonDocument.Parse(body);
        var documented = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonProperty path in document.RootElement.GetProperty("paths").EnumerateObject())
            foreach (JsonProperty operation in path.Value.EnumerateObject())
                documented.Add($"{operation.Name.ToUpperInvariant()} {Normalise(path.Name)}");

        // Every endpoint the app maps under /api, from the app's own routing table.
        var mapped = _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.TrimStart('/').StartsWith("api/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => $"{m} {Normalise(e.RoutePattern.RawText!)}"))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(mapped);
        Assert.Contains("GET /api/models/{}", mapped);
        string[] missing = [.. mapped.Where(m => !documented.Contains(m)).Order()];
        Assert.True(missing.Length == 0, "not in /openapi/v1.json:\n" + string.Join("\n", missing));
    }

    /// <summary>"/api/jobs/{id:int}/files/{**path}" → "/api/jobs/{}/files/{}": parameters compared by place, not name or constraint.</summary>
    private static string Normalise(string route) => "/" + ParameterPattern().Replace(route.TrimStart('/'), "{}").TrimEnd('/');

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex ParameterPattern();

    [GeneratedRegex(@"<footer[^>]*data-testid=""footer""[^>]*>.*?</footer>", RegexOptions.Singleline)]
    private static partial Regex FooterPattern();
}
