using System.Collections.Concurrent;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Web.Hosting;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using ImageResizeMode = SixLabors.ImageSharp.Processing.ResizeMode;

namespace CamStudio.Web.Studio;

/// <summary>
/// The studio's presentation work, on the thread pool: an upload decoded into a photo with its display copy and
/// thumbnail, and PNGs of placed maps (overlays, the comparison sheet, colour bars) through the engine's renderer,
/// so every picture colours only the region the model saw.
/// </summary>
public class StudioPictures
{
    private const int ThumbnailHeight = 96;

    private readonly PhotoDecoder _decoder;
    private readonly ConcurrentDictionary<string, byte[]> _colorBars = new(StringComparer.Ordinal);

    public StudioPictures(IOptions<StudioOptions> options)
    {
        Limits = options.Value.Limits;
        _decoder = new PhotoDecoder(ImageLimits.Default with { MaxBytes = Limits.MaxBytes, MaxPixels = Limits.MaxPixels });
    }

    /// <summary>The upload limits enforced by <see cref="DecodePhotoAsync"/>.</summary>
    public virtual PhotoLimits Limits { get; }

    /// <summary>Colormap names, the first being the default.</summary>
    public IReadOnlyList<string> Colormaps { get; } = Colormap.All.Select(c => c.Name).ToList();

    /// <summary>Decodes an upload within the limits; a bad file is a <see cref="PhotoDecodeException"/> naming it.</summary>
    public async Task<StudioPhoto> DecodePhotoAsync(string fileName, Stream content, CancellationToken cancellationToken, Guid? id = null)
    {
        DecodedPhoto decoded = await _decoder.DecodeAsync(content, fileName, cancellationToken);
        return await Task.Run(() =>
        {
            Image<Rgb24> pixels = decoded.DetachImage();
            Image<Rgb24> display = pixels.Width > StudioPhoto.DisplayMaxSide || pixels.Height > StudioPhoto.DisplayMaxSide
                ? pixels.Clone(c => c.Resize(new ResizeOptions
                {
                    Size = new Size(StudioPhoto.DisplayMaxSide, StudioPhoto.DisplayMaxSide),
                    Mode = ImageResizeMode.Max,
                }))
                : pixels;
            using Image<Rgb24> thumbnail = display.Clone(c => c.Resize(0, Math.Min(ThumbnailHeight, display.Height)));
            using var jpeg = new MemoryStream();
            thumbnail.SaveAsJpeg(jpeg, new JpegEncoder { Quality = 80 });
            return new StudioPhoto(decoded.FileName, pixels, display, $"data:image/jpeg;base64,{Convert.ToBase64String(jpeg.ToArray())}", id);
        }, cancellationToken);
    }

    /// <summary>Colours a placed map over the photo (display size, or the photo's own with <paramref name="fullResolution"/>).</summary>
    public virtual Task<byte[]> RenderOverlayPngAsync(StudioPhoto photo, PlacedMap map, OverlayStyle style, bool fullResolution,
        CancellationToken cancellationToken)
    {
        OverlayOptions options = Options(style);
        return Task.Run(() =>
        {
            using Image<Rgb24> overlay = HeatmapRenderer.Overlay(fullResolution ? photo.Pixels : photo.Display, map, options);
            return HeatmapRenderer.EncodePng(overlay);
        }, cancellationToken);
    }

    /// <summary>A horizontal colour bar for a colormap, low values on the left (cached per colormap).</summary>
    public byte[] RenderColorBarPng(string colormap)
    {
        Colormap parsed = ParseColormap(colormap);
        return _colorBars.GetOrAdd(parsed.Name, _ =>
        {
            using Image<Rgb24> bar = HeatmapRenderer.ColorBar(parsed, 256, 8);
            return HeatmapRenderer.EncodePng(bar);
        });
    }

    /// <summary>A labelled grid of placed overlays (rows: classes, columns: methods) on the display photo, as one PNG.</summary>
    /// <param name="sharedScale">True: each method's column on one range (the sheet prints each column's range).</param>
    public Task<byte[]> RenderSheetPngAsync(StudioPhoto photo, ComparisonLayout layout, OverlayStyle style, bool sharedScale, CancellationToken cancellationToken)
    {
        var options = new ComparisonSheetOptions
        {
            Colormap = ParseColormap(style.Colormap),
            Alpha = style.Opacity,
            SharedScale = sharedScale,
            CellSize = 320,
            Title = photo.FileName,
        };
        var maps = layout.Cells.Select(row => (IReadOnlyList<PlacedMap?>)row.Cast<PlacedMap?>().ToList()).ToList();
        return Task.Run(() => ComparisonSheet.ComposePng(photo.Display, layout.RowLabels, layout.ColumnLabels, maps, options), cancellationToken);
    }

    private static OverlayOptions Options(OverlayStyle style) =>
        new() { Colormap = ParseColormap(style.Colormap), Alpha = Math.Clamp(style.Opacity, 0f, 1f), Range = style.Range };

    private static Colormap ParseColormap(string name) =>
        Colormap.TryParse(name, out Colormap? colormap)
            ? colormap
            : throw new StudioInputException($"Unknown colormap '{name}'. Valid colormaps: {string.Join(", ", Colormap.All.Select(c => c.Name))}.");
}
