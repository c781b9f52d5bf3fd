using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Studio;

/// <summary>
/// One class's guided backpropagation image and its Guided Grad-CAM (the gradient × the shown map) as browser
/// images, drawn by the engine's <see cref="GuidedImageRenderer"/> at the model input's size.
/// </summary>
public sealed record GuidedImages(int ClassIndex, string Method, string GuidedUrl, string GuidedCamUrl, int Width, int Height)
{
    public static GuidedImages Render(GuidedGradient guided, PlacedClassMap map) => new(guided.ClassIndex, map.Method,
        Url(GuidedImageRenderer.Render(guided)), Url(GuidedImageRenderer.RenderWithMap(guided, map.Map)), guided.Width, guided.Height);

    private static string Url(Image<Rgb24> image)
    {
        using (image)
            return BrowserDownload.DataUrl(HeatmapRenderer.EncodePng(image), "image/png");
    }
}
