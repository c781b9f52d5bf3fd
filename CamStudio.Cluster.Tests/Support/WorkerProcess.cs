using System.Diagnostics;
using System.Text;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>The built CamStudio.Worker run as a child process (an Orleans silo on free loopback ports), killable with SIGKILL.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WorkerProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>CamStudio.Worker.dll of the same configuration as these tests.</summary>
    public static string WorkerAssembly
    {
        get
        {
            var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string framework = testDir.Name, configuration = testDir.Parent!.Name;
            for (var dir = testDir; dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "CamStudio.sln")))
                {
                    string dll = Path.Combine(dir.FullName, "CamStudio.Worker", "bin", configuration, framework, "CamStudio.Worker.dll");
                    return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build CamStudio.Worker ({configuration}) first: {dll} is missing.", dll);
                }
            }
            throw new DirectoryNotFoundException($"No CamStudio.sln above {testDir.FullName}.");
        }
    }

    /// <summary>Starts a worker with <paramref name="settings"/> (configuration keys, e.g. CamStudio:Cluster:Mode) on free ports.</summary>
    public static WorkerProcess Start(string name, string modelsDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(WorkerAssembly)!,
        };
        start.ArgumentList.Add(WorkerAssembly);
        start.Environment["CAMSTUDIO_MODELS"] = modelsDirectory;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__LogLevel__Orleans"] = "Warning";
        var all = new Dictionary<string, string>(settings)
        {
            ["CamStudio:Cluster:WorkerName"] = name,
            ["CamStudio:Cluster:AdvertisedAddress"] = "127.0.0.1",
            ["CamStudio:Cluster:SiloPort"] = LocalServices.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CamStudio:Cluster:GatewayPort"] = LocalServices.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in all)
            start.Environment[key.Replace(":", "__")] = value;
        var process = new Process { StartInfo = start };
        var worker = new WorkerProcess(process, name);
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or a pulled cable.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            KillHard();
        _process.Dispose();
    }
}
