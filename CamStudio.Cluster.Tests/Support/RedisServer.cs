using System.Diagnostics;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>A throwaway redis-server on a free loopback port, nothing persisted (<c>--save '' --appendonly no</c>).</summary>
public sealed class RedisServer : IDisposable
{
    private readonly Process _process;
    private readonly string _folder;

    public RedisServer()
    {
        string program = LocalServices.RedisServer();
        _folder = LocalServices.ServiceFolder("redis");
        Port = LocalServices.FreePort();
        _process = LocalServices.Start(program, ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", _folder, "--protected-mode", "yes"]);
        LocalServices.WaitForPort(Port, TimeSpan.FromSeconds(30), () => _process.HasExited ? $"redis-server exited ({_process.ExitCode}): {_process.StandardError.ReadToEnd()}{_process.StandardOutput.ReadToEnd()}" : "still starting");
        // Its output is not read further: drain it so the pipe never fills and blocks the server.
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port}";

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
