using System.Text;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;

namespace CamStudio.Tests.Imaging;

public sealed class NpyFormatTests
{
    [Fact]
    public void HeaderMatchesTheVersionOneSpecByteForByte()
    {
        byte[] bytes = NpyFormat.ToBytes(new float[224 * 224], [224, 224]);

        // magic, version 1.0, little-endian header length, dictionary, spaces, '\n'; data at a multiple of 64
        const string dictionary = "{'descr': '<f4', 'fortran_order': False, 'shape': (224, 224), }";
        Assert.Equal([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0], bytes[..8]);
        int headerLength = bytes[8] | (bytes[9] << 8);
        Assert.Equal(118, headerLength); // 10 + 118 = 128
        string header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Equal(dictionary + new string(' ', 118 - 1 - dictionary.Length) + "\n", header);
        Assert.Equal(128 + 224 * 224 * 4, bytes.Length);
    }

    [Fact]
    public void DataIsLittleEndianFloat32InCOrder()
    {
        byte[] bytes = NpyFormat.ToBytes([1f, -2.5f, 0f, 3f, 4f, 5f], [2, 3]);

        Assert.Equal(0, (10 + (bytes[8] | (bytes[9] << 8))) % 64);
        byte[] data = bytes[^24..];
        Assert.Equal([0x00, 0x00, 0x80, 0x3F], data[..4]);   // 1.0f
        Assert.Equal([0x00, 0x00, 0x20, 0xC0], data[4..8]);  // -2.5f
    }

    [Theory]
    [InlineData(new[] { 5 }, "(5,)")]
    [InlineData(new int[0], "()")]
    [InlineData(new[] { 2, 3, 4 }, "(2, 3, 4)")]
    public void ShapeIsWrittenAsAPythonTuple(int[] shape, string tuple)
    {
        Assert.Equal($"{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}", NpyFormat.HeaderDictionary(shape));
        int count = shape.Aggregate(1, (a, d) => a * d);
        NpyArray read = NpyFormat.Read(NpyFormat.ToBytes(new float[count], shape));
        Assert.Equal(shape, read.Shape);
    }

    [Fact]
    public void CamMapRoundTripsAsHeightByWidth()
    {
        var map = new CamMap(3, 2, [1f, 2f, 3f, 4f, 5.5f, -6f]);

        NpyArray read = NpyFormat.Read(NpyFormat.ToBytes(map));

        Assert.Equal([2, 3], read.Shape);
        Assert.Equal(map.Raw, read.Data);
    }

    [Fact]
    public void FileRoundTrips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"camstudio-{Guid.NewGuid():N}.npy");
        try
        {
            float[] values = TestImages.RandomMap(7 * 7, 11);
            NpyFormat.WriteFile(path, values, [7, 7]);
            NpyArray read = NpyFormat.ReadFile(path);
            Assert.Equal(values, read.Data);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReaderRejectsOtherDtypesOrderAndMagic()
    {
        byte[] good = NpyFormat.ToBytes([1f, 2f], [2]);
        byte[] float64 = Replace(good, "'<f4'", "'<f8'");
        byte[] fortran = Replace(good, "False", "True ");
        byte[] notNpy = [.. "PK\x03\x04"u8.ToArray(), .. good[4..]];

        Assert.Contains("'<f4'", Assert.Throws<InvalidDataException>(() => NpyFormat.Read(float64)).Message);
        Assert.Contains("C-order", Assert.Throws<InvalidDataException>(() => NpyFormat.Read(fortran)).Message);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => NpyFormat.Read(notNpy)).Message);
    }

    [Fact]
    public void ShapeMustMatchTheData()
    {
        Assert.Throws<ArgumentException>(() => NpyFormat.ToBytes([1f, 2f, 3f], [2, 2]));
    }

    private static byte[] Replace(byte[] bytes, string from, string to)
    {
        string text = Encoding.Latin1.GetString(bytes);
        Assert.Contains(from, text);
        return Encoding.Latin1.GetBytes(text.Replace(from, to));
    }
}
