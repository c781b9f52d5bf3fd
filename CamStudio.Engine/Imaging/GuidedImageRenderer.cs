using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace CamStudio.Engine.Imaging;

/// <summary>
/// Guided backpropagation as pictures: the gradient image itself, and Guided Grad-CAM (Selvaraju et al. 2017) = the
/// gradient image × a CAM upsampled to the model input; both shown as pytorch-grad-cam's <c>deprocess_image</c> does:
/// centred, divided by the standard deviation, ×0.1 + 0.5, clipped to [0, 1].
/// </summary>
public static class GuidedImageRenderer
{
    /// <summary>The guided gradient as an RGB image at the model input's size.</summary>
    public static Image<Rgb24> Render(GuidedGradient guided)
    {
        ArgumentNullException.ThrowIfNull(guided);
        return Deprocess(guided.Values, guided.Width, guided.Height);
    }

    /// <summary>Guided Grad-CAM: the guided gradient × <paramref name="map"/> (min-max scaled, upsampled to the model input).</summary>
    public static Image<Rgb24> RenderWithMap(GuidedGradient guided, PlacedMap map)
    {
        ArgumentNullException.ThrowIfNull(guided);
        ArgumentNullException.ThrowIfNull(map);
        float[] normalised = map.Map.Normalised();
        float[] cam = MapResampler.Resize(normalised, map.Map.Width, map.Map.Height, guided.Width, guided.Height);
        int size = guided.Width * guided.Height;
        var product = new float[guided.Values.Length];
        for (int i = 0; i < product.Length; i++)
            product[i] = guided.Values[i] * cam[i % size];
        return Deprocess(product, guided.Width, guided.Height);
    }

    private static Image<Rgb24> Deprocess(float[] values, int width, int height)
    {
        double mean = values.Average(v => (double)v);
        double std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
        int size = width * height;
        var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < width; x++)
                {
                    int i = y * width + x;
                    row[x] = new Rgb24(Byte(values[i]), Byte(values[size + i]), Byte(values[2 * size + i]));
                }
            }
        });
        return image;

        byte Byte(float v) => (byte)(Math.Clamp((v - mean) / (std + 1e-5) * 0.1 + 0.5, 0, 1) * 255);
    }
}
