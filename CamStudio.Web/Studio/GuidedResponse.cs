using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Studio;

/// <summary>
/// One class's guided backpropagation in an API response: <c>guidedPng</c> the gradient image at the model input's size,
/// <c>guidedCamPng</c> per method its Guided Grad-CAM (base64 PNGs, drawn by the engine's <see cref="GuidedImageRenderer"/>).
/// </summary>
public sealed record GuidedResponse(int ClassIndex, string ClassName, int Width, int Height, string GuidedPng, IReadOnlyDictionary<string, string> GuidedCamPng)
{
    /// <summary>Null when the request did not ask for guided backpropagation.</summary>
    public static IReadOnlyList<GuidedResponse>? Of(PhotoMaps photo)
    {
        if (photo.Guided.Count == 0)
            return null;
        return photo.Guided.Select(g => new GuidedResponse(g.ClassIndex, g.ClassName, g.Width, g.Height, Png(GuidedImageRenderer.Render(g)),
            photo.Maps.Where(m => m.ClassIndex == g.ClassIndex)
                .ToDictionary(m => m.Method, m => Png(GuidedImageRenderer.RenderWithMap(g, m.Map))))).ToList();
    }

    private static string Png(Image<Rgb24> image)
    {
        using (image)
            return Convert.ToBase64String(HeatmapRenderer.EncodePng(image));
    }
}
