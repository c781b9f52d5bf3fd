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
    public void SharedScaleColoursEveryCellOnOneRangeAndPrintsIt()
    {
        using var photo = TestImages.Solid(64, 64, new Rgb24(90, 90, 90));
        IReadOnlyList<IReadOnlyList<PlacedMap?>> maps = [[Whole(new CamMap(2, 1, [0f, 2f])), Whole(new CamMap(2, 1, [1f, 8f]))]];
        var options = new ComparisonSheetOptions { CellSize = 64, Alpha = 1f, Colormap = Colormap.Gray };

        using Image<Rgb24> shared = ComparisonSheet.Compose(photo, ["1 a"], ["m1", "m2"], maps, options with { SharedScale = true });
        using Image<Rgb24> own = ComparisonSheet.Compose(photo, ["1 a"], ["m1", "m2"], maps, options);
        ComparisonSheetLayout sharedLayout = ComparisonSheetLayout.Plan(64, 64, ["1 a"], ["m1", "m2"], options, "8", "0");
        ComparisonSheetLayout ownLayout = ComparisonSheetLayout.Plan(64, 64, ["1 a"], ["m1", "m2"], options, "max", "min");

        // The first map's maximum (2) sits at its cell's right edge: a quarter of the shared range [0, 8], the top of its own.
        Rectangle sharedCell = sharedLayout.Cell(0, 0), ownCell = ownLayout.Cell(0, 0);
        Assert.Equal(Colormap.Gray.Table[64], shared[sharedCell.Right - 1, sharedCell.Top + 32]);
        Assert.Equal(Colormap.Gray.Table[255], own[ownCell.Right - 1, ownCell.Top + 32]);
        // The second map's minimum (1) is 1/8 of the shared range, but the bottom of its own.
        Assert.Equal(Colormap.Gray.Table[32], shared[sharedLayout.Cell(0, 1).Left, sharedCell.Top + 32]);
        Assert.Equal(Colormap.Gray.Table[0], own[ownLayout.Cell(0, 1).Left, ownCell.Top + 32]);
        // The bar's value labels: "8" and "0" on the shared sheet.
        var high = new Rectangle(sharedLayout.BarHighLabel, new Size(BitmapFont.MeasureWidth("8", 2), 14));
        var low = new Rectangle(sharedLayout.BarLowLabel, new Size(BitmapFont.MeasureWidth("0", 2), 14));
        Assert.True(CountInk(shared, high) > 10, "the shared max should be printed");
        Assert.True(CountInk(shared, low) > 10, "the shared min should be printed");
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
