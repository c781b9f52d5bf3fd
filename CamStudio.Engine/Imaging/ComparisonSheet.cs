using CamStudio.Engine.Cam;
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
    private const int Margin = 12;
    private const int Gap = 6;
    private const int FontScale = 2;
    private const int MaxLabelWidth = 360;
    private const int BarWidth = 18;

    private static readonly Rgb24 Paper = new(255, 255, 255);
    private static readonly Rgb24 Ink = new(0, 0, 0);

    /// <summary>
    /// Composes the sheet. <paramref name="maps"/>[row][column] is the map of class <paramref name="classLabels"/>[row]
    /// by method <paramref name="methodLabels"/>[column]; a null map leaves its cell as the plain photo, greyed.
    /// </summary>
    public static Image<Rgb24> Compose(
        Image<Rgb24> photo,
        IReadOnlyList<string> classLabels,
        IReadOnlyList<string> methodLabels,
        IReadOnlyList<IReadOnlyList<CamMap?>> maps,
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
        List<CamMap> present = maps.SelectMany(r => r).OfType<CamMap>().ToList();
        if (options.SharedScale && present.Count > 0)
            shared = ValueRange.Shared(present);

        // Cell size: the photo's aspect ratio with its longer side = CellSize.
        double scale = (double)options.CellSize / Math.Max(photo.Width, photo.Height);
        int cellWidth = Math.Max(1, (int)Math.Round(photo.Width * scale));
        int cellHeight = Math.Max(1, (int)Math.Round(photo.Height * scale));

        int lineHeight = BitmapFont.LineHeight(FontScale);
        int labelWidth = Math.Min(MaxLabelWidth, classLabels.Max(l => BitmapFont.MeasureWidth(l, FontScale)));
        int titleHeight = string.IsNullOrWhiteSpace(options.Title) ? 0 : lineHeight + Gap;
        int headerHeight = lineHeight + Gap;

        string barHigh = shared is ValueRange r1 ? HeatmapRenderer.FormatValue(r1.Max) : "max";
        string barLow = shared is ValueRange r2 ? HeatmapRenderer.FormatValue(r2.Min) : "min";
        int barLabelWidth = Math.Max(BitmapFont.MeasureWidth(barHigh, FontScale), BitmapFont.MeasureWidth(barLow, FontScale));
        int barSection = Gap * 2 + Math.Max(BarWidth, barLabelWidth);

        int gridLeft = Margin + labelWidth + Gap * 2;
        int gridTop = Margin + titleHeight + headerHeight;
        int gridWidth = columns * cellWidth + (columns - 1) * Gap;
        int gridHeight = rows * cellHeight + (rows - 1) * Gap;
        int width = gridLeft + gridWidth + barSection + Margin;
        int height = gridTop + gridHeight + Margin;

        var sheet = new Image<Rgb24>(width, height, Paper);
        try
        {
            if (titleHeight > 0)
                DrawFitted(sheet, options.Title!, new Rectangle(Margin, Margin, width - 2 * Margin, lineHeight), alignLeft: true);

            for (int c = 0; c < columns; c++)
            {
                int x = gridLeft + c * (cellWidth + Gap);
                DrawFitted(sheet, methodLabels[c], new Rectangle(x, Margin + titleHeight, cellWidth, lineHeight), alignLeft: false);
            }

            using Image<Rgb24> cellPhoto = photo.Clone(x => x.Resize(new ResizeOptions
            {
                Size = new Size(cellWidth, cellHeight),
                Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch,
                Sampler = KnownResamplers.Triangle,
            }));
            var overlay = new OverlayOptions { Colormap = options.Colormap, Alpha = options.Alpha, Range = shared };
            for (int r = 0; r < rows; r++)
            {
                int y = gridTop + r * (cellHeight + Gap);
                DrawFitted(sheet, classLabels[r], new Rectangle(Margin, y, labelWidth, cellHeight), alignLeft: true);
                for (int c = 0; c < columns; c++)
                {
                    int x = gridLeft + c * (cellWidth + Gap);
                    CamMap? map = maps[r][c];
                    using Image<Rgb24> cell = map is null ? Greyed(cellPhoto) : HeatmapRenderer.Overlay(cellPhoto, map, overlay);
                    sheet.Mutate(ctx => ctx.DrawImage(cell, new Point(x, y), 1f));
                }
            }

            // Colour bar: as tall as the grid minus room for its two labels.
            int barX = gridLeft + gridWidth + Gap * 2;
            int barTop = gridTop + lineHeight;
            int barHeight = Math.Max(2, gridHeight - 2 * lineHeight);
            using (Image<Rgb24> bar = HeatmapRenderer.ColorBar(options.Colormap, BarWidth, barHeight))
                sheet.Mutate(ctx => ctx.DrawImage(bar, new Point(barX, barTop), 1f));
            BitmapFont.Draw(sheet, barHigh, barX, gridTop, Ink, FontScale);
            BitmapFont.Draw(sheet, barLow, barX, barTop + barHeight + Gap / 2, Ink, FontScale);
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
        IReadOnlyList<IReadOnlyList<CamMap?>> maps,
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
