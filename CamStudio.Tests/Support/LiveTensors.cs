using TorchSharp;

namespace CamStudio.Tests.Support;

/// <summary>
/// Live tensors created on the calling thread and not yet disposed (TorchSharp's per-thread lifetime statistics).
/// Leak checks count per thread because <c>torch.Tensor.TotalCount</c> is process-wide: tests of other
/// collections running in parallel, and finalisers of tensors others dropped, would move it mid-check. A tensor
/// left to the garbage collector counts as leaked here, which is what the engine promises not to do.
/// </summary>
internal static class LiveTensors
{
    public static long OnThisThread() => DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
}
