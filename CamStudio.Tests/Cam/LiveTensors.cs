using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>
/// The number of live tensors once earlier garbage is finalised: a tensor some other test dropped without
/// disposing is counted until its finaliser runs, which would otherwise happen in the middle of a leak check.
/// </summary>
internal static class LiveTensors
{
    public static long Count()
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return Tensor.TotalCount;
    }
}
