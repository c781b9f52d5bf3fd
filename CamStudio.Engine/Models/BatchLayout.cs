using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>How a batch is laid out in memory for the network (the perturbation passes of every model kind use it).</summary>
internal static class BatchLayout
{
    /// <summary>
    /// The batch stored channels-last (NHWC) with its NCHW shape, so every convolution after it runs in that order:
    /// measured on the 2-core AVX-512 machine, resnet18, 8–16 copies, bfloat16 5.4 ms per copy instead of 8.9, float32
    /// 10.6 instead of 14.2 (<c>CamStudio.Benchmarks --probe</c>). TorchSharp 0.107 has no memory-format argument; the
    /// permuted copy has exactly the strides libtorch reads as channels-last. CPU only: on CUDA it is unmeasured here.
    /// </summary>
    public static Tensor ChannelsLast(Tensor batch) =>
        batch.dim() == 4 && batch.device_type == DeviceType.CPU ? batch.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) : batch;
}
