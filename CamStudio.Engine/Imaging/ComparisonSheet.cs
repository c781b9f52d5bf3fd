using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamStudio.Engine.Imaging;

/// <summary>How a comparison sheet is laid out and coloured.</summary>
public sealed record ComparisonSheetOptions
{
    private readonly float _alpha = 0.5f;
    private readonly int _cellSize = 224;

    public Colormap Colormap { get; init; } = Colormap.Jet;

    /// <summary>Overlay alpha of every cell, in [0, 1].</summary>
    public float Alpha
    {
        get => _alpha;
        init => _alpha = new OverlayOptions { Alpha = value }.Alpha; // same validation as overlays
    }

    /// <summary>
    /// True: every map is normalised on one range shared by all cells (so colours compare across methods and classes)
    /// and the colour bar shows that range's min and max. False: each map on its own min–max.
    /// </summary>
    public bool SharedScale { get; init; }

    /// <summary>Longer side of each cell in pixels (the photo keeps its aspect ratio). At least 16.</summary>
    public int CellSize
    {
        get => _cellSize;
        init => _cellSize = value >= 16 ? value : throw new ArgumentOutOfRangeException(nameof(CellSize), value, "Cells must be at least 16 pixels.");
    }

    /// <summary>Optional title printed above the grid (e.g. the photo's file name).</summary>
    public string? Title { get; init; }
}

/// <summary>
/// A labelled grid of overlays for one photo: one row per class, one column per CAM method, class labels on the
/// left, method names on top, and a colour bar on the right.
/// </summary>
public static class ComparisonSheet
{
    internal const int FontScale = 2;

    private static readonly Rgb24 Paper = new(255, 255, 255);
    private static readonly Rgb24 Ink = new(0, 0, 0);

    /// <summary>
    /// Composes the sheet. <paramref name="maps"/>[row][column] is the map of class <paramref name="classLabels"/>[row]
    /// by method <paramref name="methodLabels"/>[column], coloured only on its placement (the part of the photo the
    /// model saw; a centre-crop model's margins stay the photo); a null map leaves its cell as the plain photo, greyed.
    /// </summary>
    public static Image<Rgb24> Compose(
        Image<Rgb24> photo,
        IReadOnlyList<string> classLabels,
        IReadOnlyList<string> methodLabels,
        IReadOnlyList<IReadOnlyList<PlacedMap?>> maps,
        ComparisonSheetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(classLabels);
        ArgumentNullException.ThrowIfNull(methodLabels);
        ArgumentNullException.ThrowIfNull(maps);
        options ??= new ComparisonSheetOptions();
        int rows = classLabels.Count, columns = methodLabels.Count;
        if (rows == 0 || columns == 0)
            throw new ArgumentException("A comparison sheet needs at least one class and one method.");
        if (maps.Count != rows || maps.Any(r => r is null || r.Count != columns))
            throw new ArgumentException($"Expected {rows} rows of {columns} maps (classes × methods).", nameof(maps));

        ValueRange? shared = null;
        List<CamMap> present = maps.SelectMany(r => r).OfType<PlacedMap>().Select(m => m.Map).ToList();
        if (options.SharedScale && present.Count > 0)
            shared = ValueRange.Shared(present);
        (string barLow, string barHigh) = shared is ValueRange range ? HeatmapRenderer.FormatRange(range) : ("min", "max");
        ComparisonSheetLayout layout = ComparisonSheetLayout.Plan(photo.Width, photo.Height, classLabels, methodLabels, options, barHigh, barLow);

        var sheet = new Image<Rgb24>(layout.Width, layout.Height, Paper);
        try
        {
            if (layout.Title is Rectangle title)
                DrawFitted(sheet, options.Title!, title, alignLeft: true);
            for (int c = 0; c < columns; c++)
                DrawFitted(sheet, methodLabels[c], layout.MethodLabel(c), alignLeft: false);

            using Image<Rgb24> cellPhoto = photo.Clone(x => x.Resize(new ResizeOptions
            {
                Size = new Size(layout.CellWidth, layout.CellHeight),
                Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch,
                Sampler = KnownResamplers.Triangle,
            }));
            var overlay = new OverlayOptions { Colormap = options.Colormap, Alpha = options.Alpha, Range = shared };
            for (int r = 0; r < rows; r++)
            {
                DrawFitted(sheet, classLabels[r], layout.ClassLabel(r), alignLeft: true);
                for (int c = 0; c < columns; c++)
                {
                    PlacedMap? map = maps[r][c];
                    using Image<Rgb24> cell = map is null ? Greyed(cellPhoto) : HeatmapRenderer.Overlay(cellPhoto, map, overlay);
                    Rectangle at = layout.Cell(r, c);
                    sheet.Mutate(ctx => ctx.DrawImage(cell, new Point(at.X, at.Y), 1f));
                }
            }

            using (Image<Rgb24> bar = HeatmapRenderer.ColorBar(options.Colormap, layout.Bar.Width, layout.Bar.Height))
                sheet.Mutate(ctx => ctx.DrawImage(bar, new Point(layout.Bar.X, layout.Bar.Y), 1f));
            BitmapFont.Draw(sheet, barHigh, layout.BarHighLabel.X, layout.BarHighLabel.Y, Ink, FontScale);
            BitmapFont.Draw(sheet, barLow, layout.BarLowLabel.X, layout.BarLowLabel.Y, Ink, FontScale);
            return sheet;
        }
        catch
        {
            sheet.Dispose();
            throw;
        }
    }

    /// <summary>The sheet as PNG bytes.</summary>
    public static byte[] ComposePng(
        Image<Rgb24> photo,
        IReadOnlyList<string> classLabels,
        IReadOnlyList<string> methodLabels,
        IReadOnlyList<IReadOnlyList<PlacedMap?>> maps,
        ComparisonSheetOptions? options = null)
    {
        using Image<Rgb24> sheet = Compose(photo, classLabels, methodLabels, maps, options);
        return HeatmapRenderer.EncodePng(sheet);
    }

    /// <summary>Draws text vertically centred in <paramref name="box"/>, at 2× if it fits, else 1×, else cut with "..".</summary>
    private static void DrawFitted(Image<Rgb24> image, string text, Rectangle box, bool alignLeft)
    {
        int scale = BitmapFont.MeasureWidth(text, FontScale) <= box.Width ? FontScale : 1;
        string fitted = text;
        while (fitted.Length > 0 && BitmapFont.MeasureWidth(fitted, scale) > box.Width)
            fitted = fitted.Length > 3 ? fitted[..^3] + ".." : fitted[..^1];
        if (alignLeft)
        {
            int y = box.Y + (box.Height - BitmapFont.GlyphHeight * scale) / 2;
            BitmapFont.Draw(image, fitted, box.X, y, Ink, scale);
        }
        else
        {
            BitmapFont.DrawCentered(image, fitted, box, Ink, scale);
        }
    }

    /// <summary>A cell without a map: the photo washed out towards white, so it reads as "nothing here".</summary>
    private static Image<Rgb24> Greyed(Image<Rgb24> photo)
    {
        Image<Rgb24> copy = photo.Clone();
        for (int y = 0; y < copy.Height; y++)
        {
            Span<Rgb24> row = copy.DangerousGetPixelRowMemory(y).Span;
            for (int x = 0; x < row.Length; x++)
            {
                Rgb24 p = row[x];
                row[x] = new Rgb24((byte)((p.R + 3 * 255) / 4), (byte)((p.G + 3 * 255) / 4), (byte)((p.B + 3 * 255) / 4));
            }
        }
        return copy;
    }
}

/// <summary>Where everything goes on a comparison sheet (pixel rectangles), computed before anything is drawn.</summary>
internal sealed record ComparisonSheetLayout(
    int Width,
    int Height,
    int CellWidth,
    int CellHeight,
    int GridLeft,
    int GridTop,
    int LabelWidth,
    Rectangle? Title,
    Rectangle Bar,
    Point BarHighLabel,
    Point BarLowLabel)
{
    public const int Margin = 12;
    public const int Gap = 6;
    public const int MaxLabelWidth = 360;
    public const int BarWidth = 18;

    private static int LineHeight => BitmapFont.LineHeight(ComparisonSheet.FontScale);

    public Rectangle Cell(int row, int column) =>
        new(GridLeft + column * (CellWidth + Gap), GridTop + row * (CellHeight + Gap), CellWidth, CellHeight);

    public Rectangle ClassLabel(int row) => new(Margin, GridTop + row * (CellHeight + Gap), LabelWidth, CellHeight);

    public Rectangle MethodLabel(int column) => new(GridLeft + column * (CellWidth + Gap), GridTop - LineHeight - Gap, CellWidth, LineHeight);

    public static ComparisonSheetLayout Plan(
        int photoWidth, int photoHeight, IReadOnlyList<string> classLabels, IReadOnlyList<string> methodLabels,
        ComparisonSheetOptions options, string barHigh, string barLow)
    {
        int scale = ComparisonSheet.FontScale;
        // Cells keep the photo's aspect ratio with the longer side = CellSize.
        double factor = (double)options.CellSize / Math.Max(photoWidth, photoHeight);
        int cellWidth = Math.Max(1, (int)Math.Round(photoWidth * factor));
        int cellHeight = Math.Max(1, (int)Math.Round(photoHeight * factor));
        int rows = classLabels.Count, columns = methodLabels.Count;

        int labelWidth = Math.Min(MaxLabelWidth, classLabels.Max(l => BitmapFont.MeasureWidth(l, scale)));
        bool hasTitle = !string.IsNullOrWhiteSpace(options.Title);
        int titleHeight = hasTitle ? LineHeight + Gap : 0;
        int gridLeft = Margin + labelWidth + 2 * Gap;
        int gridTop = Margin + titleHeight + LineHeight + Gap;
        int gridWidth = columns * cellWidth + (columns - 1) * Gap;
        int gridHeight = rows * cellHeight + (rows - 1) * Gap;
        int barLabelWidth = Math.Max(BitmapFont.MeasureWidth(barHigh, scale), BitmapFont.MeasureWidth(barLow, scale));
        int barX = gridLeft + gridWidth + 2 * Gap;
        int width = barX + Math.Max(BarWidth, barLabelWidth) + Margin;
        int height = gridTop + gridHeight + Margin;

        // The bar spans the grid's height minus a line above (max) and below (min) for its labels.
        int barTop = gridTop + LineHeight;
        int barHeight = Math.Max(2, gridHeight - 2 * LineHeight);
        if (gridTop + gridHeight < barTop + barHeight + LineHeight)
            height = barTop + barHeight + LineHeight + Margin;
        Rectangle? title = hasTitle ? new Rectangle(Margin, Margin, width - 2 * Margin, LineHeight) : null;
        return new ComparisonSheetLayout(width, height, cellWidth, cellHeight, gridLeft, gridTop, labelWidth, title,
            new Rectangle(barX, barTop, BarWidth, barHeight),
            new Point(barX, gridTop),
            new Point(barX, barTop + barHeight + Gap / 2));
    }
}
