using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Imaging;

public sealed class ColormapTests
{
    [Fact]
    public void JetMatchesMatplotlibAtItsEndsAndMiddle()
    {
        // matplotlib: jet(0) = (0, 0, 0.5), jet(1) = (0.5, 0, 0); entry 128 (t = 128/255) = (0.490, 1, 0.478).
        AssertNear(new Rgb24(0, 0, 128), Colormap.Jet[0f], 0);
        AssertNear(new Rgb24(128, 0, 0), Colormap.Jet[1f], 0);
        AssertNear(new Rgb24(125, 255, 122), Colormap.Jet[0.5f], 1);
        // Entry 100 (t = 0.392): red (t − 0.35)/0.31 = 0.136, green 1, blue 1 − (t − 0.34)/0.31 = 0.832
        AssertNear(new Rgb24(35, 255, 212), Colormap.Jet.Table[100], 1);
    }

    [Theory]
    // Published table entries (index 0, 64, 128, 191, 255) converted to 8 bits.
    [InlineData("viridis", 0, 0x44, 0x01, 0x54)]
    [InlineData("viridis", 64, 59, 82, 139)]
    [InlineData("viridis", 128, 33, 145, 140)]
    [InlineData("viridis", 191, 92, 200, 99)]
    [InlineData("viridis", 255, 0xFD, 0xE7, 0x25)]
    [InlineData("inferno", 0, 0x00, 0x00, 0x04)]
    [InlineData("inferno", 64, 87, 16, 110)]
    [InlineData("inferno", 128, 188, 55, 84)]
    [InlineData("inferno", 191, 249, 140, 10)]
    [InlineData("inferno", 255, 0xFC, 0xFF, 0xA4)]
    [InlineData("turbo", 0, 0x30, 0x12, 0x3B)]
    [InlineData("turbo", 64, 40, 188, 235)]
    [InlineData("turbo", 128, 164, 252, 60)]
    [InlineData("turbo", 191, 251, 129, 34)]
    [InlineData("turbo", 255, 0x7A, 0x04, 0x03)]
    [InlineData("gray", 0, 0, 0, 0)]
    [InlineData("gray", 128, 128, 128, 128)]
    [InlineData("gray", 255, 255, 255, 255)]
    public void TablesMatchThePublishedColormapsWithinOneStep(string name, int index, int r, int g, int b)
    {
        Colormap colormap = Colormap.Parse(name);
        AssertNear(new Rgb24((byte)r, (byte)g, (byte)b), colormap.Table[index], 1);
    }

    [Fact]
    public void LookupUsesMatplotlibIndexing()
    {
        Assert.Equal(0, Colormap.Index(0f));
        Assert.Equal(0, Colormap.Index(-3f));
        Assert.Equal(0, Colormap.Index(float.NaN));
        Assert.Equal(127, Colormap.Index(0.499f));
        Assert.Equal(128, Colormap.Index(0.5f));
        Assert.Equal(255, Colormap.Index(1f));
        Assert.Equal(255, Colormap.Index(7f));
        Assert.All(Colormap.All, c => Assert.Equal(Colormap.Size, c.Table.Length));
    }

    [Theory]
    [InlineData("jet", "jet")]
    [InlineData("Turbo", "turbo")]
    [InlineData(" VIRIDIS ", "viridis")]
    [InlineData("inferno", "inferno")]
    [InlineData("grey", "gray")]
    public void ParsesNamesCaseInsensitively(string text, string name)
    {
        Assert.Equal(name, Colormap.Parse(text).Name);
    }

    [Fact]
    public void UnknownNameListsTheValidOnes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Colormap.Parse("rainbow"));
        Assert.StartsWith("Unknown colormap 'rainbow'. Valid colormaps: jet, turbo, viridis, inferno, gray.", ex.Message);
        Assert.False(Colormap.TryParse(null, out _));
    }

    private static void AssertNear(Rgb24 expected, Rgb24 actual, int tolerance)
    {
        bool near = Math.Abs(expected.R - actual.R) <= tolerance
            && Math.Abs(expected.G - actual.G) <= tolerance
            && Math.Abs(expected.B - actual.B) <= tolerance;
        Assert.True(near, $"expected {expected} ± {tolerance}, got {actual}");
    }
}
