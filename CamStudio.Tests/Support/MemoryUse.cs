using System.Globalization;

namespace CamStudio.Tests.Support;

/// <summary>
/// What one operation cost in memory, for the lead's note (never asserted on: other test collections run in parallel
/// and share the process). Peak RSS comes from Linux's VmHWM, reset first through /proc/self/clear_refs; managed
/// allocations are this thread's only.
/// </summary>
internal sealed record MemoryUse(long PeakRssGrowthBytes, long ManagedAllocatedBytes)
{
    public static MemoryUse Of(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        TryResetPeak();
        long rssBefore = StatusKilobytes("VmRSS:") * 1024;
        long managedBefore = GC.GetAllocatedBytesForCurrentThread();
        action();
        long managed = GC.GetAllocatedBytesForCurrentThread() - managedBefore;
        long peak = StatusKilobytes("VmHWM:") * 1024;
        return new MemoryUse(Math.Max(0, peak - rssBefore), managed);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"peak RSS +{PeakRssGrowthBytes / 1048576.0:0.0} MB, managed allocations {ManagedAllocatedBytes / 1048576.0:0.0} MB");

    private static void TryResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5"); // 5 = reset the peak resident set size
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not allowed: the peak then covers the whole process so far.
        }
    }

    private static long StatusKilobytes(string field)
    {
        if (!File.Exists("/proc/self/status"))
            return 0;
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
