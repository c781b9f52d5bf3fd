using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Runtime;

/// <summary>Picks the device torch work runs on and describes it for logs and the UI.</summary>
/// <remarks>
/// The engine never hard-codes the CPU: models and batches go to <see cref="DefaultDevice"/>, which is CUDA
/// whenever the loaded libtorch sees a GPU (the <c>TorchSharp-cuda-linux</c> build) and the CPU otherwise.
/// </remarks>
public static class TorchRuntime
{
    private static readonly Lazy<Device> Selected = new(SelectDevice);

    /// <summary>CUDA when <c>torch.cuda.is_available()</c>, else the CPU; chosen once per process.</summary>
    public static Device DefaultDevice => Selected.Value;

    /// <summary>The libtorch version, e.g. "2.10.0".</summary>
    public static string LibTorchVersion
    {
        get
        {
            string version = torch.__version__;
            // TorchSharp reports four parts ("2.10.0.0"); libtorch itself calls it 2.10.0.
            return version.Count(c => c == '.') == 3 && version.EndsWith(".0", StringComparison.Ordinal)
                ? version[..^2]
                : version;
        }
    }

    /// <summary>"CPU — libtorch 2.10.0, 2 threads" or "CUDA device 0 of 1 — libtorch 2.10.0".</summary>
    public static string Describe(Device? device = null)
    {
        Device d = device ?? DefaultDevice;
        return d.type == DeviceType.CUDA
            ? $"CUDA device {Math.Max(d.index, 0)} of {torch.cuda.device_count()} — libtorch {LibTorchVersion}"
            : $"CPU — libtorch {LibTorchVersion}, {torch.get_num_threads()} threads";
    }

    private static Device SelectDevice() =>
        torch.cuda.is_available() ? torch.CUDA : torch.CPU;
}
