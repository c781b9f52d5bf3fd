using System.IO.Compression;
using System.Text;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>ZIP archives built in memory for the intake tests.</summary>
internal static class TestZips
{
    /// <summary>A ZIP written by <paramref name="build"/>, rewound for reading.</summary>
    public static MemoryStream Zip(Action<ZipArchive> build)
    {
        var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8))
            build(zip);
        memory.Position = 0;
        return memory;
    }

    /// <summary>One entry holding <paramref name="bytes"/>.</summary>
    public static void Add(ZipArchive zip, string name, byte[] bytes, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var stream = zip.CreateEntry(name, level).Open();
        stream.Write(bytes);
    }
}
