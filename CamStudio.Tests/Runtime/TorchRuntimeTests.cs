using CamStudio.Engine.Runtime;
using CamStudio.Tests.Support;
using TorchSharp;

namespace CamStudio.Tests.Runtime;

[Collection(TorchCollection.Name)]
public sealed class TorchRuntimeTests
{
    [Fact]
    public void DefaultDeviceIsCudaExactlyWhenTorchSeesAGpu()
    {
        Assert.Equal(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, TorchRuntime.DefaultDevice.type);
    }

    [Fact]
    public void DescriptionNamesTheDeviceAndTheLibTorchVersion()
    {
        string description = TorchRuntime.Describe(torch.CPU);

        Assert.Equal($"CPU — libtorch {TorchRuntime.LibTorchVersion}, {torch.get_num_threads()} threads", description);
        Assert.Matches(@"^\d+\.\d+\.\d+", TorchRuntime.LibTorchVersion);
    }
}
