using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CamStudio.Tests.Jobs.Support;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>
/// Runs the Debian packages' own binaries (PostgreSQL's initdb and pg_ctl, redis-server) as throwaway servers in a
/// temporary folder on free loopback ports. A missing binary fails loudly: scripts/setup.sh --with-services installs them.
/// </summary>
internal static class LocalServices
{
    /// <summary>The service account server programs run as when the tests run as root (PostgreSQL refuses root).</summary>
    public const string ServiceUser = "postgres";

    public static bool IsRoot => Environment.UserName == "root";

    public static int FreePort() => AppProcess.FreePort();

    /// <summary>The newest PostgreSQL bin folder of the Debian layout (/usr/lib/postgresql/N/bin).</summary>
    public static string PostgresBin()
    {
        const string root = "/usr/lib/postgresql";
        string? bin = Directory.Exists(root)
            ? Directory.EnumerateDirectories(root).Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out int v) ? v : 0).FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            $"PostgreSQL is not installed (no {root}/N/bin/initdb): run scripts/setup.sh --with-services (apt package postgresql).");
    }

    public static string RedisServer() =>
        File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server"
            : throw new InvalidOperationException("redis-server is not installed: run scripts/setup.sh --with-services (apt package redis-server).");

    /// <summary>Runs a program (as <see cref="ServiceUser"/> under root) to its end; a non-zero exit throws with its output.</summary>
    public static string Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        using Process process = Start(program, arguments);
        string output = process.StandardOutput.ReadToEndAsync().WaitAsync(timeout).GetAwaiter().GetResult()
            + process.StandardError.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in {timeout.TotalSeconds} s: {output}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {output}");
        return output;
    }

    /// <summary>Starts a program (as <see cref="ServiceUser"/> under root) with its output redirected.</summary>
    public static Process Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(IsRoot ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (IsRoot)
        {
            foreach (string a in new[] { "-u", ServiceUser, "--", program })
                start.ArgumentList.Add(a);
        }
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
    }

    /// <summary>A temporary folder the service account can write (world-accessible parent, owned by it under root).</summary>
    public static string ServiceFolder(string name)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"camstudio-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        if (IsRoot)
        {
            using var chown = Process.Start("/bin/chown", [ServiceUser, folder])!;
            chown.WaitForExit();
            if (chown.ExitCode != 0)
                throw new InvalidOperationException($"Could not give {folder} to the '{ServiceUser}' account (does it exist? the postgresql package makes it).");
        }
        return folder;
    }

    /// <summary>Waits until something accepts TCP connections on the loopback port.</summary>
    public static void WaitForPort(int port, TimeSpan timeout, Func<string> whyNot)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new TimeoutException($"Nothing listened on 127.0.0.1:{port} after {timeout.TotalSeconds} s: {whyNot()}");
    }
}
