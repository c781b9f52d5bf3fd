using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamStudio.Cli;

/// <summary>Draws a map over the part of the photo the model saw, at the photo's own size.</summary>
internal static class OverlayPlacement
{
    /// <summary>
    /// Stretch: the map covers the whole photo. Centre crop: the map covers only the centred region that was cropped
    /// (mapped back to photo pixels); the rest of the photo is left as it is.
    /// </summary>
    public static Image<Rgb24> Render(Image<Rgb24> photo, CamMap map, PreprocessingSpec spec, OverlayOptions options)
    {
        if (spec.Resize == CamStudio.Engine.Imaging.ResizeMode.Stretch)
            return HeatmapRenderer.Overlay(photo, map, options);

        Rectangle region = PhotoPreprocessor.InputRegion(photo.Width, photo.Height, spec);
        using Image<Rgb24> seen = photo.Clone(x => x.Crop(region));
        using Image<Rgb24> overlaid = HeatmapRenderer.Overlay(seen, map, options);
        Image<Rgb24> result = photo.Clone();
        result.Mutate(x => x.DrawImage(overlaid, new Point(region.X, region.Y), 1f));
        return result;
    }
}
