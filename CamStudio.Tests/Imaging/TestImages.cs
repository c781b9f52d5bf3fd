using System.Runtime.CompilerServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Imaging;

/// <summary>Small images generated in memory for the imaging tests, and the committed fixture folder.</summary>
internal static class TestImages
{
    public static string Fixture(string name, [CallerFilePath] string thisFile = "")
    {
        string path = Path.Combine(Path.GetDirectoryName(thisFile)!, "Fixtures", name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Imaging test fixture '{name}' is missing (expected at {path}).", path);
        return path;
    }

    public static Image<Rgb24> Solid(int width, int height, Rgb24 colour) => new(width, height, colour);

    /// <summary>Deterministic pseudo-random pixels (incompressible enough that truncation cuts real image data).</summary>
    public static Image<Rgb24> Noise(int width, int height, int seed = 1)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        return image;
    }

    public static byte[] Encode(Image image, IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    public static float[] RandomMap(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 4 - 1);
        return values;
    }
}
