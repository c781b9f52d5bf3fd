using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// A built CamStudio program (CamStudio.Web, CamStudio.Worker) run with <c>dotnet</c> as a child process: its output
/// kept for assertions and failure messages, stopped on dispose as a service manager stops it, killable hard (SIGKILL, like a
/// crash or a pulled cable).
/// </summary>
public abstract class AppProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private bool _disposed;

    /// <summary>Starts <paramref name="assembly"/> with the arguments; <paramref name="settings"/> are configuration keys (a:b) passed as environment.</summary>
    protected AppProcess(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, IReadOnlyDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
        };
        start.ArgumentList.Add(assembly);
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        foreach (var (key, value) in settings)
            start.Environment[key.Replace(":", "__")] = value;
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The project's dll of the same configuration and framework as the running tests (Debug or Release).</summary>
    public static string BuiltAssembly(string project)
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testDir.Name, configuration = testDir.Parent!.Name;
        for (var dir = testDir; dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CamStudio.sln")))
            {
                string dll = Path.Combine(dir.FullName, project, "bin", configuration, framework, project + ".dll");
                return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} ({configuration}) first: {dll} is missing.", dll);
            }
        }
        throw new DirectoryNotFoundException($"No CamStudio.sln above {testDir.FullName}.");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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

    /// <summary>
    /// SIGTERM, as a service manager stops it: the host shuts down (a worker's silo leaves the cluster's membership
    /// cleanly, so the next test does not meet a dead silo the cluster has not yet declared dead); SIGKILL after
    /// <paramref name="grace"/>.
    /// </summary>
    public void Stop(TimeSpan grace)
    {
        if (_process.HasExited)
            return;
        using (var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            term?.WaitForExit();
        if (!_process.WaitForExit(grace))
            KillHard();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Stop(TimeSpan.FromSeconds(15));
        _process.Dispose();
        GC.SuppressFinalize(this);
    }
}
