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
    /// True: each method's maps (one column) are normalised on one range shared by that column, so colours compare
    /// across classes; each column's range is printed under it (raw values of different methods do not compare, so
    /// no range spans methods: <see cref="MethodScales"/>). False: each map on its own min–max.
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

        // One range per column (method) when shared; a column without any map has none.
        IReadOnlyDictionary<int, ValueRange> columnRanges = options.SharedScale
            ? MethodScales.Of(Enumerable.Range(0, columns).SelectMany(c => maps.Select(r => r[c]).OfType<PlacedMap>().Select(m => (c, m.Map))))
            : new Dictionary<int, ValueRange>();
        ComparisonSheetLayout layout = ComparisonSheetLayout.Plan(photo.Width, photo.Height, classLabels, methodLabels, options, "max", "min");

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
            var overlay = new OverlayOptions { Colormap = options.Colormap, Alpha = options.Alpha };
            for (int c = 0; c < columns; c++)
            {
                if (columnRanges.TryGetValue(c, out ValueRange columnRange) && layout.ColumnRange(c) is Rectangle rangeBox)
                {
                    (string low, string high) = HeatmapRenderer.FormatRange(columnRange);
                    DrawFitted(sheet, $"{low} .. {high}", rangeBox, alignLeft: false);
                }
            }
            for (int r = 0; r < rows; r++)
            {
                DrawWrapped(sheet, classLabels[r], layout.ClassLabel(r));
                for (int c = 0; c < columns; c++)
                {
                    PlacedMap? map = maps[r][c];
                    OverlayOptions cellOverlay = columnRanges.TryGetValue(c, out ValueRange range) ? overlay with { Range = range } : overlay;
                    using Image<Rgb24> cell = map is null ? Greyed(cellPhoto) : HeatmapRenderer.Overlay(cellPhoto, map, cellOverlay);
                    Rectangle at = layout.Cell(r, c);
                    sheet.Mutate(ctx => ctx.DrawImage(cell, new Point(at.X, at.Y), 1f));
                }
            }

            using (Image<Rgb24> bar = HeatmapRenderer.ColorBar(options.Colormap, layout.Bar.Width, layout.Bar.Height))
                sheet.Mutate(ctx => ctx.DrawImage(bar, new Point(layout.Bar.X, layout.Bar.Y), 1f));
            BitmapFont.Draw(sheet, "max", layout.BarHighLabel.X, layout.BarHighLabel.Y, Ink, FontScale);
            BitmapFont.Draw(sheet, "min", layout.BarLowLabel.X, layout.BarLowLabel.Y, Ink, FontScale);
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

    /// <summary>
    /// A class label left-aligned and vertically centred in <paramref name="box"/>, wrapped at spaces onto as many
    /// lines as the box's height holds at 2× (long ImageNet labels stay readable), else at 1×, else cut with "..".
    /// </summary>
    private static void DrawWrapped(Image<Rgb24> image, string text, Rectangle box)
    {
        foreach (int scale in new[] { FontScale, 1 })
        {
            List<string> lines = Wrap(text, box.Width, scale);
            int height = lines.Count * BitmapFont.LineHeight(scale);
            if (height > box.Height || lines.Any(l => BitmapFont.MeasureWidth(l, scale) > box.Width))
                continue;
            int y = box.Y + (box.Height - height) / 2;
            foreach (string line in lines)
            {
                BitmapFont.Draw(image, line, box.X, y, Ink, scale);
                y += BitmapFont.LineHeight(scale);
            }
            return;
        }
        DrawFitted(image, text, box, alignLeft: true);
    }

    /// <summary>Greedy word wrap: each line as many whole words as fit in <paramref name="width"/>.</summary>
    internal static List<string> Wrap(string text, int width, int scale)
    {
        var lines = new List<string>();
        string line = "";
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && BitmapFont.MeasureWidth(candidate, scale) > width)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = candidate;
            }
        }
        if (line.Length > 0)
            lines.Add(line);
        return lines;
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
    Point BarLowLabel,
    bool HasColumnRanges = false)
{
    public const int Margin = 12;
    public const int Gap = 6;
    public const int MaxLabelWidth = 360;
    public const int BarWidth = 18;

    private static int LineHeight => BitmapFont.LineHeight(ComparisonSheet.FontScale);

    public Rectangle Cell(int row, int column) =>
        new(GridLeft + column * (CellWidth + Gap), GridTop + row * (CellHeight + Gap), CellWidth, CellHeight);

    public Rectangle ClassLabel(int row) => new(Margin, GridTop + row * (CellHeight + Gap), LabelWidth, CellHeight);

    /// <summary>Where a column's shared range is printed (under the grid), or null on a sheet of own scales.</summary>
    public Rectangle? ColumnRange(int column) => HasColumnRanges
        ? new Rectangle(GridLeft + column * (CellWidth + Gap), Height - Margin - LineHeight, CellWidth, LineHeight)
        : null;

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
        // A shared scale prints each method's range under its column.
        int rangeRow = options.SharedScale ? Gap + LineHeight : 0;
        int height = gridTop + gridHeight + rangeRow + Margin;

        // The bar spans the grid's height minus a line above (max) and below (min) for its labels.
        int barTop = gridTop + LineHeight;
        int barHeight = Math.Max(2, gridHeight - 2 * LineHeight);
        if (gridTop + gridHeight + rangeRow < barTop + barHeight + LineHeight)
            height = barTop + barHeight + LineHeight + Margin;
        Rectangle? title = hasTitle ? new Rectangle(Margin, Margin, width - 2 * Margin, LineHeight) : null;
        return new ComparisonSheetLayout(width, height, cellWidth, cellHeight, gridLeft, gridTop, labelWidth, title,
            new Rectangle(barX, barTop, BarWidth, barHeight),
            new Point(barX, gridTop),
            new Point(barX, barTop + barHeight + Gap / 2),
            options.SharedScale);
    }
}
