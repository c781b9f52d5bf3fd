using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// The built CamStudio.Web run as a child process on 127.0.0.1 (free port) with its own data and models folders,
/// so a test can kill it hard (<see cref="Process.Kill(bool)"/>) and start it again. Output is kept for assertions.
/// </summary>
public sealed class WebAppProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WebAppProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>CamStudio.Web.dll of the same configuration as these tests (Debug or Release).</summary>
    public static string WebAssembly
    {
        get
        {
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string framework = testDir.Name, configuration = testDir.Parent!.Name;
            for (var dir = testDir; dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CamStudio.sln")))
                {
                    string dll = Path.Combine(dir.FullName, "CamStudio.Web", "bin", configuration, framework, "CamStudio.Web.dll");
                    if (!File.Exists(dll))
                        throw new FileNotFoundException($"Build CamStudio.Web ({configuration}) first: {dll} is missing.", dll);
                    return dll;
                }
            }
            throw new DirectoryNotFoundException($"No CamStudio.sln above {testDir.FullName}.");
        }
    }

    public static async Task<WebAppProcess> StartAsync(string dataDirectory, string modelsDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        int port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        string dll = WebAssembly;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(address.ToString().TrimEnd('/'));
        start.Environment["CAMSTUDIO_DATA"] = dataDirectory;
        start.Environment["CAMSTUDIO_MODELS"] = modelsDirectory;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            start.Environment[key.Replace(":", "__")] = value;
        var process = new Process { StartInfo = start };
        var app = new WebAppProcess(process, address);
        process.OutputDataReceived += (_, e) => app.Append(e.Data);
        process.ErrorDataReceived += (_, e) => app.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"CamStudio.Web exited with {process.ExitCode} while starting:\n{app.Output}");
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

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or power-off of the process.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            KillHard();
        _process.Dispose();
    }
}
