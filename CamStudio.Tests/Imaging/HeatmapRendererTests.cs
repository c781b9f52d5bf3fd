using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Imaging;

public sealed class HeatmapRendererTests
{
    // A 2×1 map [0, 1]: on its own range the left photo column gets t = 0 and the right one t = 1.
    private static readonly CamMap LeftLowRightHigh = new(2, 1, [0f, 1f]);

    /// <summary>A map placed on the whole photo (a stretching model).</summary>
    private static PlacedMap Whole(CamMap map) => new(map, MapPlacement.WholePhoto, map.Width, map.Height);

    private static PlacedMap OnRegion(CamMap map, Rectangle region, int photoWidth, int photoHeight) =>
        new(map, MapPlacement.Of(region, photoWidth, photoHeight), map.Width, map.Height);

    [Fact]
    public void OverlayHasThePhotosSize()
    {
        using var photo = TestImages.Noise(451, 300);
        var map = new CamMap(7, 7, TestImages.RandomMap(49, 3));

        using Image<Rgb24> overlay = HeatmapRenderer.Overlay(photo, Whole(map));

        Assert.Equal((451, 300), (overlay.Width, overlay.Height));
    }

    [Fact]
    public void OverlayForACentreCroppingModelColoursOnlyTheCroppedMiddle()
    {
        using var photo = TestImages.Noise(300, 100);
        var map = new CamMap(7, 7, TestImages.RandomMap(49, 5));
        var crop = PreprocessingSpec.ImageNet() with { Resize = ResizeMode.CenterCrop };

        using Image<Rgb24> bySpec = HeatmapRenderer.Overlay(photo, PhotoPreprocessor.Place(map, photo.Width, photo.Height, crop));
        using Image<Rgb24> stretched = HeatmapRenderer.Overlay(photo, PhotoPreprocessor.Place(map, photo.Width, photo.Height, PreprocessingSpec.ImageNet()));

        // A 300×100 photo centre-cropped to a square keeps columns 100–199: the sides stay as they were.
        Assert.Equal(photo[10, 50], bySpec[10, 50]);
        Assert.Equal(photo[290, 50], bySpec[290, 50]);
        Assert.NotEqual(photo[150, 50], bySpec[150, 50]);
        using Image<Rgb24> byRegion = HeatmapRenderer.Overlay(photo, OnRegion(map, new Rectangle(100, 0, 100, 100), 300, 100));
        Assert.Equal(byRegion[150, 50], bySpec[150, 50]);
        // A stretching model gets the whole-photo overlay.
        using Image<Rgb24> whole = HeatmapRenderer.Overlay(photo, Whole(map));
        Assert.Equal(whole[10, 50], stretched[10, 50]);
    }

    [Fact]
    public void AlphaZeroGivesThePhotoUnchanged()
    {
        using var photo = TestImages.Noise(33, 21);
        var map = new CamMap(7, 7, TestImages.RandomMap(49, 4));

        using Image<Rgb24> overlay = HeatmapRenderer.Overlay(photo, Whole(map), new OverlayOptions { Alpha = 0f });

        for (int y = 0; y < photo.Height; y++)
            for (int x = 0; x < photo.Width; x++)
                Assert.Equal(photo[x, y], overlay[x, y]);
    }

    [Fact]
    public void AlphaOneGivesTheColormapAtBothEndsOfTheRange()
    {
        using var photo = TestImages.Noise(10, 4);

        using Image<Rgb24> overlay = HeatmapRenderer.Overlay(photo, Whole(LeftLowRightHigh), new OverlayOptions { Alpha = 1f });

        for (int y = 0; y < 4; y++)
        {
            Assert.Equal(new Rgb24(0, 0, 128), overlay[0, y]);  // jet(0): dark blue
            Assert.Equal(new Rgb24(128, 0, 0), overlay[9, y]);  // jet(1): dark red
        }
    }

    [Fact]
    public void HalfAlphaBlendsColourAndPhotoEqually()
    {
        using var photo = TestImages.Solid(6, 6, new Rgb24(200, 100, 50));
        var flat = new CamMap(3, 3, new float[9]); // a flat map normalises to 0 → jet(0) = (0, 0, 128)

        using Image<Rgb24> overlay = HeatmapRenderer.Overlay(photo, Whole(flat), new OverlayOptions { Alpha = 0.5f });

        // 0.5·(0, 0, 128) + 0.5·(200, 100, 50) = (100, 50, 89)
        Assert.Equal(new Rgb24(100, 50, 89), overlay[3, 3]);
    }

    [Fact]
    public void SharedRangeColoursAMapByItsPlaceInTheRangeNotItsOwnMinMax()
    {
        using var photo = TestImages.Solid(10, 4, new Rgb24(0, 0, 0));
        var weak = new CamMap(2, 1, [0f, 0.5f]);
        var options = new OverlayOptions { Alpha = 1f, Colormap = Colormap.Gray };

        using Image<Rgb24> own = HeatmapRenderer.Overlay(photo, Whole(weak), options);
        using Image<Rgb24> shared = HeatmapRenderer.Overlay(photo, Whole(weak), options with { Range = new ValueRange(0f, 1f) });

        Assert.Equal(new Rgb24(255, 255, 255), own[9, 0]);      // own max → top of the colormap
        Assert.Equal(new Rgb24(128, 128, 128), shared[9, 0]);   // 0.5 of the shared range → middle entry
        Assert.Equal(new Rgb24(0, 0, 0), shared[0, 0]);
    }

    [Fact]
    public void RegionOverlayPaintsOnlyTheRegionTheModelSaw()
    {
        using var photo = TestImages.Noise(300, 100);
        var spec = PreprocessingSpec.ImageNet() with { Resize = ResizeMode.CenterCrop };
        Rectangle region = PhotoPreprocessor.InputRegion(300, 100, spec);
        Assert.Equal(new Rectangle(100, 0, 100, 100), region); // the middle square of a 3:1 photo

        using Image<Rgb24> overlay = HeatmapRenderer.Overlay(photo, OnRegion(LeftLowRightHigh, region, 300, 100), new OverlayOptions { Alpha = 1f });

        Assert.Equal(photo[99, 50], overlay[99, 50]);
        Assert.Equal(photo[200, 50], overlay[200, 50]);
        Assert.Equal(new Rgb24(0, 0, 128), overlay[100, 50]);
        Assert.Equal(new Rgb24(128, 0, 0), overlay[199, 50]);
        Assert.Throws<ArgumentException>(() => HeatmapRenderer.Overlay(photo, OnRegion(LeftLowRightHigh, new Rectangle(250, 0, 100, 100), 300, 100)));
    }

    [Fact]
    public void StretchInputRegionIsTheWholePhoto()
    {
        Assert.Equal(new Rectangle(0, 0, 451, 300), PhotoPreprocessor.InputRegion(451, 300, PreprocessingSpec.ImageNet()));
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void AlphaOutsideZeroToOneIsRejected(float alpha)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new OverlayOptions { Alpha = alpha });
        Assert.Contains("between 0 and 1", ex.Message);
    }

    [Fact]
    public void HeatmapIsTheColourAlone()
    {
        using Image<Rgb24> heatmap = HeatmapRenderer.Heatmap(LeftLowRightHigh, 8, 3, new OverlayOptions { Colormap = Colormap.Viridis });

        Assert.Equal((8, 3), (heatmap.Width, heatmap.Height));
        Assert.Equal(Colormap.Viridis.Table[0], heatmap[0, 1]);
        Assert.Equal(Colormap.Viridis.Table[255], heatmap[7, 1]);
    }

    [Fact]
    public void VerticalColorBarHasHighValuesAtTheTop()
    {
        using Image<Rgb24> bar = HeatmapRenderer.ColorBar(Colormap.Jet, 12, 256);

        Assert.Equal((12, 256), (bar.Width, bar.Height));
        Assert.Equal(Colormap.Jet.Table[255], bar[6, 0]);
        Assert.Equal(Colormap.Jet.Table[0], bar[6, 255]);
        Assert.Equal(Colormap.Jet.Table[128], bar[6, 127]);
    }

    [Fact]
    public void ColorBarWithARangePrintsItsValues()
    {
        using Image<Rgb24> plain = HeatmapRenderer.ColorBar(Colormap.Jet, 80, 300);
        using Image<Rgb24> labelled = HeatmapRenderer.ColorBar(Colormap.Jet, 80, 300, new ValueRange(-0.25f, 3.5f));

        int labelHeight = BitmapFont.LineHeight(2) + 2;
        Assert.True(CountInk(labelled, 0, labelHeight) > 20, "the max value is printed above the bar");
        Assert.True(CountInk(labelled, 300 - labelHeight, 300) > 20, "the min value is printed below the bar");
        Assert.Equal(0, CountInk(plain, 0, 300)); // no black text without a range
    }

    [Theory]
    [InlineData(0f, 1f, "0", "1")]
    [InlineData(3.78e-11f, 3f, "0", "3")]
    [InlineData(-0.25f, 12.5f, "-0.25", "12.5")]
    [InlineData(0.0001234f, 0.0005f, "1.23E-4", "5E-4")]
    [InlineData(-2e6f, 1.5e7f, "-2E+6", "1.5E+7")]
    public void RangeLabelsAreShortAndCultureInvariant(float min, float max, string low, string high)
    {
        Assert.Equal((low, high), HeatmapRenderer.FormatRange(new ValueRange(min, max)));
    }

    [Fact]
    public void EncodePngRoundTrips()
    {
        using var photo = TestImages.Noise(17, 9);
        byte[] png = HeatmapRenderer.EncodePng(photo);

        Assert.Equal(0x89, png[0]);
        using var decoded = Image.Load<Rgb24>(png);
        Assert.Equal(photo[5, 5], decoded[5, 5]);
        Assert.Equal((17, 9), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void HorizontalColorBarHasHighValuesOnTheRightAndValuesAtItsEnds()
    {
        using Image<Rgb24> bar = HeatmapRenderer.ColorBar(Colormap.Turbo, 400, 30, new ValueRange(0f, 12.5f));

        int labelWidth = BitmapFont.MeasureWidth("12.5", 2) + 4;
        Assert.Equal(Colormap.Turbo.Table[0], bar[labelWidth, 15]);
        Assert.Equal(Colormap.Turbo.Table[255], bar[400 - labelWidth - 1, 15]);
        Assert.True(CountInk(bar, 0, 30) > 40, "both values are printed");
    }

    private static int CountInk(Image<Rgb24> image, int fromRow, int toRow)
    {
        int count = 0;
        for (int y = fromRow; y < toRow; y++)
            for (int x = 0; x < image.Width; x++)
                if (image[x, y].Equals(new Rgb24(0, 0, 0)))
                    count++;
        return count;
    }
}
