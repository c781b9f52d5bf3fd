using System.Diagnostics;
using Npgsql;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb in a temp folder, pg_ctl start on a free loopback port (trust
/// authentication, loopback only), stopped and deleted on dispose. Each test gets its own database
/// (<see cref="CreateDatabase"/>), so tests never see each other's rows.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string _folder;
    private readonly string _bin;
    private int _databases;

    public PostgresServer()
    {
        _bin = LocalServices.PostgresBin();
        _folder = LocalServices.ServiceFolder("pg");
        Port = LocalServices.FreePort();
        string data = Path.Combine(_folder, "data");
        LocalServices.Run(Path.Combine(_bin, "initdb"), ["-D", data, "-U", "camstudio", "-A", "trust", "-E", "UTF8", "--no-sync"], TimeSpan.FromMinutes(2));
        // Sockets in our folder (not /var/run/postgresql, which may not exist or belong to another server).
        LocalServices.Run(Path.Combine(_bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(_folder, "log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start"], TimeSpan.FromMinutes(2));
        LocalServices.WaitForPort(Port, TimeSpan.FromSeconds(30), Log);
    }

    public int Port { get; }

    /// <summary>The server's maintenance database (postgres) as user camstudio.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=camstudio;Database=postgres;Pooling=false";

    public string Log()
    {
        try
        {
            return File.ReadAllText(Path.Combine(_folder, "log"));
        }
        catch (IOException ex)
        {
            return $"(no log: {ex.Message})";
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public string CreateDatabase(string? prefix = null)
    {
        string name = $"{prefix ?? "t"}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..30].ToLowerInvariant();
        using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            command.ExecuteNonQuery();
        }
        return $"Host=127.0.0.1;Port={Port};Username=camstudio;Database={name}";
    }

    public void Dispose()
    {
        try
        {
            LocalServices.Run(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "stop"], TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            Trace.WriteLine($"Stopping the test PostgreSQL failed: {ex.Message}");
        }
        NpgsqlConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
