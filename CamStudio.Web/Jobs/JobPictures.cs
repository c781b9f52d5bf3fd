using CamStudio.Engine;
using CamStudio.Engine.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Web.Jobs;

/// <summary>
/// A photo's guided and concept pictures as PNGs, drawn by the engine's renderers exactly as the CLI draws them
/// (<see cref="GuidedImageRenderer"/>, <see cref="ConceptExplanation.Render"/>); this only encodes and carries them.
/// </summary>
/// <param name="Guided">The guided backpropagation image of every explained class, at the model input's size.</param>
/// <param name="GuidedCams">Guided Grad-CAM of every map, in the order of the photo's maps (empty when not guided).</param>
/// <param name="Concepts">The concept picture and its legend; null when the job asks for none.</param>
public sealed record JobPictures(IReadOnlyList<JobGuidedPng> Guided, IReadOnlyList<byte[]> GuidedCams, JobConceptsPng? Concepts)
{
    /// <summary>
    /// The pictures of <paramref name="explanation"/> (its guided gradients, if any) and <paramref name="concepts"/>
    /// drawn on <paramref name="shown"/> (the photo as the job's overlays show it); null when there is neither.
    /// </summary>
    public static JobPictures? Render(PhotoMaps explanation, ConceptExplanation? concepts, Image<Rgb24> shown)
    {
        if (explanation.Guided.Count == 0 && concepts is null)
            return null;
        var guided = explanation.Guided.Select(g => new JobGuidedPng(g.ClassIndex, Encode(GuidedImageRenderer.Render(g)))).ToList();
        var cams = explanation.Guided.Count == 0 ? [] : explanation.Maps.Select(map =>
            explanation.Guided.FirstOrDefault(g => g.ClassIndex == map.ClassIndex) is { } g
                ? Encode(GuidedImageRenderer.RenderWithMap(g, map.Map))
                : []).ToList();
        JobConceptsPng? picture = concepts is null ? null : new JobConceptsPng(concepts.Layer, concepts.Legend, Encode(concepts.Render(shown)));
        return new JobPictures(guided, cams, picture);
    }

    private static byte[] Encode(Image<Rgb24> image)
    {
        using (image)
            return HeatmapRenderer.EncodePng(image);
    }

    /// <summary>Bytes the pictures take on disk (for the disk check before they are written).</summary>
    public long Bytes => Guided.Sum(g => (long)g.Png.Length) + GuidedCams.Sum(p => (long)p.Length) + (Concepts?.Png.Length ?? 0);
}

/// <summary>The guided backpropagation image of one class.</summary>
public sealed record JobGuidedPng(int ClassIndex, byte[] Png);

/// <summary>A photo's concept picture (coloured regions and a legend) and the legend's lines.</summary>
public sealed record JobConceptsPng(string Layer, IReadOnlyList<string> Legend, byte[] Png);
