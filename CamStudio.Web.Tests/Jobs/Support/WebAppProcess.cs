using System.Net;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// The built CamStudio.Web run as a child process on 127.0.0.1 (free port) with its own data and models folders,
/// so a test can kill it hard and start it again. Started once it answers <c>GET /api/jobs</c>.
/// </summary>
public sealed class WebAppProcess : AppProcess
{
    private WebAppProcess(string dll, Uri address, string dataDirectory, string modelsDirectory, IReadOnlyDictionary<string, string> settings)
        : base(dll, ["--urls", address.ToString().TrimEnd('/')], new Dictionary<string, string>
        {
            ["CAMSTUDIO_DATA"] = dataDirectory,
            ["CAMSTUDIO_MODELS"] = modelsDirectory,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Information",
        }, settings)
    {
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>CamStudio.Web.dll of the same configuration as these tests (Debug or Release).</summary>
    public static string WebAssembly => BuiltAssembly("CamStudio.Web");

    public static async Task<WebAppProcess> StartAsync(string dataDirectory, string modelsDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        var address = new Uri($"http://127.0.0.1:{FreePort()}/");
        var app = new WebAppProcess(WebAssembly, address, dataDirectory, modelsDirectory, settings ?? new Dictionary<string, string>());
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (app.HasExited)
                throw new InvalidOperationException($"CamStudio.Web exited with {app.ExitCode} while starting:\n{app.Output}");
            try
            {
                using var response = await client.GetAsync("api/jobs");
                if (response.StatusCode == HttpStatusCode.OK)
                    return app;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // not listening yet, or too busy starting to answer within the client timeout
            }
            if (DateTime.UtcNow > deadline)
            {
                app.Dispose();
                throw new TimeoutException($"CamStudio.Web did not answer on {address} within 60 s:\n{app.Output}");
            }
            await Task.Delay(100);
        }
    }
}
