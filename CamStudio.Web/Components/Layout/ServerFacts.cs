using System.Reflection;
using CamStudio.Engine.Runtime;

namespace CamStudio.Web.Components.Layout;

/// <summary>The facts the footer reports, read once per process: the app's version, and the device and libtorch the engine runs on.</summary>
public static class ServerFacts
{
    private static readonly Lazy<string> DeviceText = new(() => TorchRuntime.Describe());

    /// <summary>The web app's informational version without the source hash ("1.4.0", not "1.4.0+3f2a…").</summary>
    public static string Version { get; } = (typeof(ServerFacts).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ServerFacts).Assembly.GetName().Version?.ToString() ?? "unknown").Split('+')[0];

    /// <summary>"CPU — libtorch 2.10.0, 2 threads" or "CUDA device 0 of 1 — libtorch 2.10.0".</summary>
    public static string Device => DeviceText.Value;
}
