using System.Globalization;
using CamStudio.Tests.Jobs.Support;

namespace CamStudio.Cluster.Tests.Support;

/// <summary>The built CamStudio.Worker run as a child process (an Orleans silo on free loopback ports), killable with SIGKILL.</summary>
public sealed class WorkerProcess : AppProcess
{
    private WorkerProcess(string name, int gatewayPort, string modelsDirectory, IReadOnlyDictionary<string, string> settings)
        : base(WorkerAssembly, [], new Dictionary<string, string>
        {
            ["CAMSTUDIO_MODELS"] = modelsDirectory,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Orleans"] = "Warning",
        }, settings)
    {
        Name = name;
        GatewayPort = gatewayPort;
    }

    public string Name { get; }

    /// <summary>The port the studio connects to (the worker's Orleans gateway).</summary>
    public int GatewayPort { get; }

    /// <summary>CamStudio.Worker.dll of the same configuration as these tests.</summary>
    public static string WorkerAssembly => BuiltAssembly("CamStudio.Worker");

    /// <summary>Starts a worker with <paramref name="settings"/> (configuration keys, e.g. CamStudio:Cluster:Mode) on free ports.</summary>
    public static WorkerProcess Start(string name, string modelsDirectory, IReadOnlyDictionary<string, string> settings)
    {
        int gateway = FreePort();
        return new(name, gateway, modelsDirectory, new Dictionary<string, string>(settings)
        {
            ["CamStudio:Cluster:WorkerName"] = name,
            ["CamStudio:Cluster:AdvertisedAddress"] = "127.0.0.1",
            ["CamStudio:Cluster:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["CamStudio:Cluster:GatewayPort"] = gateway.ToString(CultureInfo.InvariantCulture),
        });
    }
}
