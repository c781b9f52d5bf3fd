using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Cli;

/// <summary>
/// <c>explain --guided</c>'s files: <c>&lt;stem&gt;.guided.&lt;class&gt;.png</c> (the guided backpropagation image at the
/// model input's size) and <c>&lt;stem&gt;.&lt;method&gt;.&lt;class&gt;.guided.png</c> (Guided Grad-CAM of that map).
/// </summary>
internal static class GuidedFiles
{
    public static void Write(string outDir, string stem, PhotoMaps explanation)
    {
        foreach (GuidedGradient guided in explanation.Guided)
        {
            Save(Path.Combine(outDir, $"{stem}.guided.{guided.ClassIndex}.png"), GuidedImageRenderer.Render(guided));
            foreach (PlacedClassMap map in explanation.Maps.Where(m => m.ClassIndex == guided.ClassIndex))
                Save(Path.Combine(outDir, $"{stem}.{map.Method}.{map.ClassIndex}.guided.png"), GuidedImageRenderer.RenderWithMap(guided, map.Map));
        }
    }

    private static void Save(string path, Image<Rgb24> image)
    {
        try
        {
            using (image)
                File.WriteAllBytes(path, HeatmapRenderer.EncodePng(image));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot write {path}: {e.Message}", ExitCodes.Failure);
        }
    }
}
