namespace CamStudio.Engine.Runtime;

/// <summary>
/// What the CPU offers the perturbation methods' extra forward passes: bfloat16 arithmetic in hardware
/// (AVX512-BF16 or AMX-BF16, read from <c>/proc/cpuinfo</c>), where oneDNN runs bfloat16 convolutions about twice as
/// fast as float32. Without it, bfloat16 is emulated and slower than float32, so the engine stays in float32.
/// </summary>
public static class CpuFeatures
{
    /// <summary>Set to <c>float32</c> to keep every forward pass in float32 (e.g. to compare), <c>bfloat16</c> to force it.</summary>
    public const string PrecisionVariable = "CAMSTUDIO_PRECISION";

    private static readonly Lazy<bool> Bf16 = new(() => HasBFloat16(ReadCpuInfo()));

    /// <summary>True when the CPU has bfloat16 instructions (cached).</summary>
    public static bool HardwareBFloat16 => Bf16.Value;

    /// <summary>
    /// Whether the extra forward passes run in bfloat16: <see cref="PrecisionVariable"/> when set to float32 or
    /// bfloat16, else <see cref="HardwareBFloat16"/>.
    /// </summary>
    public static bool UseBFloat16ForInference
    {
        get
        {
            string? forced = Environment.GetEnvironmentVariable(PrecisionVariable)?.Trim();
            if (string.Equals(forced, "float32", StringComparison.OrdinalIgnoreCase))
                return false;
            if (string.Equals(forced, "bfloat16", StringComparison.OrdinalIgnoreCase))
                return true;
            return HardwareBFloat16;
        }
    }

    /// <summary>True when the <c>flags</c> line of <paramref name="cpuInfo"/> (the text of /proc/cpuinfo) lists avx512_bf16 or amx_bf16.</summary>
    public static bool HasBFloat16(string cpuInfo)
    {
        ArgumentNullException.ThrowIfNull(cpuInfo);
        foreach (string line in cpuInfo.Split('\n'))
        {
            if (!line.StartsWith("flags", StringComparison.Ordinal))
                continue;
            string[] flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return flags.Contains("avx512_bf16", StringComparer.Ordinal) || flags.Contains("amx_bf16", StringComparer.Ordinal);
        }
        return false;
    }

    private static string ReadCpuInfo()
    {
        try
        {
            return File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : "";
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
