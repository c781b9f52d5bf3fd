using System.Text.Json;
using CamStudio.Build;
using CamStudio.Tests.Support;
using TorchSharp;

namespace CamStudio.Tests.Build;

[Collection(TorchCollection.Name)]
public sealed class NativeLibraryPatchTests
{
    private const string Version = "GLIBCXX_3.4.32";

    private static string OutputShim => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>The untouched shim in the NuGet package folder, found through this test's deps.json.</summary>
    private static string PackageShim
    {
        get
        {
            string deps = Path.Combine(AppContext.BaseDirectory, "CamStudio.Tests.deps.json");
            using var doc = JsonDocument.Parse(File.ReadAllText(deps));
            string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            foreach (JsonProperty library in doc.RootElement.GetProperty("libraries").EnumerateObject())
            {
                if (!library.Name.StartsWith("TorchSharp/", StringComparison.Ordinal))
                    continue;
                string path = Path.Combine(packages, library.Value.GetProperty("path").GetString()!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
                if (File.Exists(path))
                    return path;
            }
            throw new FileNotFoundException("The TorchSharp package's libLibTorchSharp.so was not found in the NuGet package folder.");
        }
    }

    [Fact]
    public void PatchedShimLoadsAndComputes()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }

    [Fact]
    public void OutputShimDiffersFromPackageOnlyInTheWeakFlagWhenHostLacksVersion()
    {
        byte[] original = File.ReadAllBytes(PackageShim);
        byte[] output = File.ReadAllBytes(OutputShim);
        Assert.Equal(original.Length, output.Length);

        long flags = ElfVersionNeedPatcher.FindVersionNeedFlagsOffset(original, Version);
        Assert.True(flags > 0, $"TorchSharp's shim no longer requires {Version}; revisit the patch.");

        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != output[i]).ToList();
        if (ElfVersionNeedPatcher.HostLibStdCxxDefines(Version, out _))
        {
            Assert.Empty(differing);
            return;
        }
        Assert.Equal([(int)flags], differing);
        Assert.Equal(original[flags] | 0x2, output[flags]);
        Assert.Equal(original[flags + 1], output[flags + 1]);
    }

    [Fact]
    public void PatchingIsIdempotentAndLeavesTheSourceUntouched()
    {
        string temp = Path.Combine(Path.GetTempPath(), $"camstudio-elf-{Guid.NewGuid():N}.so");
        File.Copy(PackageShim, temp);
        try
        {
            byte[] before = File.ReadAllBytes(PackageShim);
            Assert.Equal(ElfPatchOutcome.Patched, ElfVersionNeedPatcher.PatchFile(temp, Version));
            byte[] once = File.ReadAllBytes(temp);
            Assert.Equal(ElfPatchOutcome.AlreadyWeak, ElfVersionNeedPatcher.PatchFile(temp, Version));
            Assert.Equal(once, File.ReadAllBytes(temp));
            Assert.Equal(before, File.ReadAllBytes(PackageShim));
            Assert.Equal(ElfPatchOutcome.VersionNotRequired, ElfVersionNeedPatcher.MakeVersionNeedWeak(once, "GLIBCXX_9.9.99"));
        }
        finally
        {
            File.Delete(temp);
        }
    }

    [Fact]
    public void NonElfInputIsRejectedWithAReason()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ElfVersionNeedPatcher.MakeVersionNeedWeak(new byte[100], Version));
        Assert.Contains("not an ELF", ex.Message);
    }
}
