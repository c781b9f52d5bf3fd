using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Tests.Imaging;

public sealed class ComparisonSheetTests
{
    private static readonly string[] Classes = ["243 bull mastiff", "282 tiger cat"];
    private static readonly string[] Methods = ["CAM", "Grad-CAM", "Grad-CAM++"];
    private static readonly Rgb24 Black = new(0, 0, 0);

    [Fact]
    public void SheetIsAGridOfOverlaysWithTheLayoutsSize()
    {
        using var photo = TestImages.Noise(451, 300);
        var options = new ComparisonSheetOptions { CellSize = 120 };
        ComparisonSheetLayout layout = ComparisonSheetLayout.Plan(451, 300, Classes, Methods, options, "max", "min");

        using Image<Rgb24> sheet = ComparisonSheet.Compose(photo, Classes, Methods, Maps(2, 3), options);

        Assert.Equal((layout.Width, layout.Height), (sheet.Width, sheet.Height));
        Assert.Equal((120, 80), (layout.CellWidth, layout.CellHeight)); // the photo's 451:300 shape
        // Cells do not overlap and lie inside the sheet, right of the labels and below the header.
        Rectangle first = layout.Cell(0, 0), last = layout.Cell(1, 2);
        Assert.True(first.Left >= layout.ClassLabel(0).Right);
        Assert.True(first.Top >= layout.MethodLabel(0).Bottom);
        Assert.True(layout.Cell(0, 1).Left > first.Right && layout.Cell(1, 0).Top > first.Bottom);
        Assert.True(last.Right < layout.Bar.Left && last.Bottom <= sheet.Height);
        // The sheet contains the 3 × 2 cells, the 16-character label at 2× and the bar, and little else.
        int minimumWidth = 3 * 120 + BitmapFont.MeasureWidth(Classes[0], 2) + ComparisonSheetLayout.BarWidth;
        Assert.InRange(sheet.Width, minimumWidth, minimumWidth + 120);
        Assert.InRange(sheet.Height, 2 * 80 + BitmapFont.LineHeight(2), 2 * 80 + BitmapFont.LineHeight(2) + 60);
    }

    [Fact]
    public void ClassAndMethodLabelsArePrintedInTheirPlaces()
    {
        using var photo = TestImages.Solid(100, 100, new Rgb24(90, 90, 90));
        var options = new ComparisonSheetOptions { CellSize = 160 }; // wide enough for "Grad-CAM++" at 2×
        ComparisonSheetLayout layout = ComparisonSheetLayout.Plan(100, 100, Classes, Methods, options, "max", "min");

        using Image<Rgb24> sheet = ComparisonSheet.Compose(photo, Classes, Methods, Maps(2, 3), options);

        for (int r = 0; r < Classes.Length; r++)
            Assert.True(CountInk(sheet, layout.ClassLabel(r)) > 50, $"class label {r} should be drawn");
        for (int c = 0; c < Methods.Length; c++)
            Assert.True(CountInk(sheet, layout.MethodLabel(c)) > 40, $"method label {c} should be drawn");
        // "Grad-CAM++" has more strokes than "CAM".
        Assert.True(CountInk(sheet, layout.MethodLabel(2)) > CountInk(sheet, layout.MethodLabel(0)));
    }

    [Fact]
    public void SharedScaleSharesOneRangePerMethodAcrossClassesAndPrintsIt()
    {
        using var photo = TestImages.Solid(64, 64, new Rgb24(90, 90, 90));
        // Method m1: class a spans [0, 2], class b [1, 8]: one range [0, 8]. Method m2 on a range of its own.
        IReadOnlyList<IReadOnlyList<PlacedMap?>> maps =
        [
            [Whole(new CamMap(2, 1, [0f, 2f])), Whole(new CamMap(2, 1, [-18f, 46f]))],
            [Whole(new CamMap(2, 1, [1f, 8f])), Whole(new CamMap(2, 1, [-2f, 14f]))],
        ];
        string[] classes = ["1 a", "2 b"], methods = ["m1", "m2"];
        var options = new ComparisonSheetOptions { CellSize = 64, Alpha = 1f, Colormap = Colormap.Gray };

        using Image<Rgb24> shared = ComparisonSheet.Compose(photo, classes, methods, maps, options with { SharedScale = true });
        using Image<Rgb24> own = ComparisonSheet.Compose(photo, classes, methods, maps, options);
        ComparisonSheetLayout sharedLayout = ComparisonSheetLayout.Plan(64, 64, classes, methods, options with { SharedScale = true }, "max", "min");
        ComparisonSheetLayout ownLayout = ComparisonSheetLayout.Plan(64, 64, classes, methods, options, "max", "min");

        // Class a's m1 maximum (2) sits at its cell's right edge: a quarter of m1's range [0, 8], the top of its own.
        Rectangle a1 = sharedLayout.Cell(0, 0);
        Assert.Equal(Colormap.Gray.Table[64], shared[a1.Right - 1, a1.Top + 32]);
        Assert.Equal(Colormap.Gray.Table[255], own[ownLayout.Cell(0, 0).Right - 1, a1.Top + 32]);
        // Class b's m1 minimum (1) is 1/8 of [0, 8].
        Rectangle b1 = sharedLayout.Cell(1, 0);
        Assert.Equal(Colormap.Gray.Table[32], shared[b1.Left, b1.Top + 32]);
        // m2's range is [-18, 46] (its own maps), not stretched by m1's: class b's m2 maximum 14 is half of it.
        Rectangle b2 = sharedLayout.Cell(1, 1);
        Assert.Equal(Colormap.Gray.Table[128], shared[b2.Right - 1, b2.Top + 32]);
        // Each column's range is printed under it; a sheet of own scales prints none.
        Assert.True(CountInk(shared, sharedLayout.ColumnRange(0)!.Value) > 20, "m1's range should be printed under its column");
        Assert.True(CountInk(shared, sharedLayout.ColumnRange(1)!.Value) > 20, "m2's range should be printed under its column");
        Assert.Null(ownLayout.ColumnRange(0));
    }

    [Fact]
    public void SharedScaleKeepsTheStructureOfAMethodWithSmallRawValuesBesideOneWithLargeOnes()
    {
        // Eigen-CAM's raw values span tens; Grad-CAM's a fraction of one. A range shared across methods would paint
        // the Grad-CAM cells one flat colour; per method, every cell keeps its ramp (variance of a full 0..255 ramp
        // is 255² / 12 ≈ 5400; a wash is near 0).
        using var photo = TestImages.Solid(64, 64, new Rgb24(90, 90, 90));
        IReadOnlyList<IReadOnlyList<PlacedMap?>> maps =
        [
            [Whole(new CamMap(2, 1, [-18f, 46f])), Whole(new CamMap(2, 1, [0f, 0.3f]))],
            [Whole(new CamMap(2, 1, [-10f, 30f])), Whole(new CamMap(2, 1, [0.02f, 0.25f]))],
        ];
        var options = new ComparisonSheetOptions { CellSize = 64, Alpha = 1f, Colormap = Colormap.Gray, SharedScale = true };
        ComparisonSheetLayout layout = ComparisonSheetLayout.Plan(64, 64, ["a", "b"], ["Eigen-CAM", "Grad-CAM"], options, "max", "min");

        using Image<Rgb24> sheet = ComparisonSheet.Compose(photo, ["a", "b"], ["Eigen-CAM", "Grad-CAM"], maps, options);

        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++)
                Assert.True(Variance(sheet, layout.Cell(r, c)) > 1000, $"cell ({r}, {c}) lost its structure: variance {Variance(sheet, layout.Cell(r, c)):0}");
    }

    [Fact]
    public void ALongClassLabelIsWrappedAtFullSizeRatherThanPrintedTiny()
    {
        string label = "Staffordshire bullterrier, Staffordshire bull terrier, American Staffordshire";
        List<string> lines = ComparisonSheet.Wrap(label, ComparisonSheetLayout.MaxLabelWidth, ComparisonSheet.FontScale);

        Assert.True(lines.Count >= 2);
        Assert.All(lines, l => Assert.True(BitmapFont.MeasureWidth(l, ComparisonSheet.FontScale) <= ComparisonSheetLayout.MaxLabelWidth, l));
        Assert.Equal(label, string.Join(" ", lines));
    }

    private static double Variance(Image<Rgb24> image, Rectangle area)
    {
        var values = new List<double>();
        for (int y = area.Top; y < area.Bottom; y++)
            for (int x = area.Left; x < area.Right; x++)
                values.Add(image[x, y].R);
        double mean = values.Average();
        return values.Sum(v => (v - mean) * (v - mean)) / values.Count;
    }

    [Fact]
    public void CentreCroppedModelsMapsCoverOnlyTheCroppedPartOfEachCell()
    {
        using var photo = TestImages.Solid(300, 100, new Rgb24(90, 90, 90));
        var spec = PreprocessingSpec.ImageNet() with { Resize = ResizeMode.CenterCrop };
        var options = new ComparisonSheetOptions { CellSize = 150, Alpha = 1f };
        ComparisonSheetLayout layout = ComparisonSheetLayout.Plan(300, 100, ["a"], ["m"], options, "max", "min");
        // The placement the engine gives a centre-crop model's map of a 300×100 photo: its middle 100×100 square.
        var placed = new PlacedMap(new CamMap(2, 1, [0f, 1f]), PhotoPreprocessor.Placement(300, 100, spec), 224, 224);

        using Image<Rgb24> sheet = ComparisonSheet.Compose(photo, ["a"], ["m"], [[placed]], options);

        // The 150×50 cell's middle 50×50 square holds the map; its outer thirds keep the photo.
        Rectangle cell = layout.Cell(0, 0);
        Assert.Equal(new Rgb24(90, 90, 90), sheet[cell.Left + 10, cell.Top + 25]);
        Assert.Equal(new Rgb24(90, 90, 90), sheet[cell.Right - 10, cell.Top + 25]);
        Assert.Equal(Colormap.Jet.Table[0], sheet[cell.Left + 50, cell.Top + 25]);
        Assert.Equal(Colormap.Jet.Table[255], sheet[cell.Left + 99, cell.Top + 25]);
    }

    [Fact]
    public void MissingMapsAndMismatchedShapesAreHandled()
    {
        using var photo = TestImages.Solid(32, 32, new Rgb24(0, 0, 0));
        using (Image<Rgb24> sheet = ComparisonSheet.Compose(photo, ["a"], ["m"], [[null]]))
            Assert.True(sheet.Width > 224);

        Assert.Throws<ArgumentException>(() => ComparisonSheet.Compose(photo, ["a", "b"], ["m"], [[null]]));
        Assert.Throws<ArgumentException>(() => ComparisonSheet.Compose(photo, [], ["m"], []));
    }

    [Fact]
    public void ComposePngGivesADecodablePngWithATitle()
    {
        using var photo = TestImages.Solid(32, 32, new Rgb24(0, 0, 0));
        var options = new ComparisonSheetOptions { Title = "photo.png" };
        ComparisonSheetLayout layout = ComparisonSheetLayout.Plan(32, 32, ["a"], ["m"], options, "max", "min");

        byte[] png = ComparisonSheet.ComposePng(photo, ["a"], ["m"], Maps(1, 1), options);

        using var decoded = Image.Load<Rgb24>(png);
        Assert.Equal((layout.Width, layout.Height), (decoded.Width, decoded.Height));
        Assert.True(CountInk(decoded, layout.Title!.Value) > 30, "the title should be printed");
    }

    private static PlacedMap Whole(CamMap map) => new(map, MapPlacement.WholePhoto, map.Width, map.Height);

    private static IReadOnlyList<IReadOnlyList<PlacedMap?>> Maps(int rows, int columns) =>
        Enumerable.Range(0, rows)
            .Select(r => (IReadOnlyList<PlacedMap?>)Enumerable.Range(0, columns)
                .Select(c => (PlacedMap?)Whole(new CamMap(7, 7, TestImages.RandomMap(49, r * 10 + c))))
                .ToList())
            .ToList();

    private static int CountInk(Image<Rgb24> image, Rectangle area)
    {
        int count = 0;
        for (int y = Math.Max(0, area.Top); y < Math.Min(area.Bottom, image.Height); y++)
            for (int x = Math.Max(0, area.Left); x < Math.Min(area.Right, image.Width); x++)
                if (image[x, y].Equals(Black))
                    count++;
        return count;
    }
}
