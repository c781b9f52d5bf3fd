using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.Onnx;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>Shared pieces of the ONNX tests: the real model (loaded once) and an independent ImageNet photo preprocessing.</summary>
internal static class OnnxTestSupport
{
    private static readonly Lazy<IReadOnlyList<string>> LazyLabels = new(() => File.ReadAllLines(SharedResources.ImageNetLabels));

    public static IReadOnlyList<string> ImageNetLabels => LazyLabels.Value;

    public static OnnxCamModel LoadSharedModel(OnnxImportOptions? options = null) =>
        OnnxCamModel.Load(SharedResources.Model, ImageNetLabels, PreprocessingSpec.ImageNet(), CPU, "mobilenetv2-int8", options);

    /// <summary>
    /// The whole photo stretched to 224×224 (bilinear), RGB/255, normalised with the ImageNet mean and std: written here
    /// with ImageSharp alone so the tests do not depend on the engine's own preprocessing.
    /// </summary>
    public static Tensor Photo(string name, int size = 224)
    {
        using Image<Rgb24> image = Image.Load<Rgb24>(SharedResources.Image(name));
        image.Mutate(x => x.Resize(new ResizeOptions { Size = new SixLabors.ImageSharp.Size(size, size), Mode = SixLabors.ImageSharp.Processing.ResizeMode.Stretch, Sampler = KnownResamplers.Triangle }));
        float[] mean = [0.485f, 0.456f, 0.406f], std = [0.229f, 0.224f, 0.225f];
        var data = new float[3 * size * size];
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < size; y++)
            {
                Span<Rgb24> row = rows.GetRowSpan(y);
                for (int x = 0; x < size; x++)
                {
                    data[0 * size * size + y * size + x] = (row[x].R / 255f - mean[0]) / std[0];
                    data[1 * size * size + y * size + x] = (row[x].G / 255f - mean[1]) / std[1];
                    data[2 * size * size + y * size + x] = (row[x].B / 255f - mean[2]) / std[2];
                }
            }
        });
        return torch.tensor(data, [1, 3, size, size]);
    }

    public static Tensor Photos(params string[] names)
    {
        using var scope = NewDisposeScope();
        return torch.cat(names.Select(n => Photo(n)).ToArray(), 0).MoveToOuterDisposeScope();
    }

    public static string[] TopClasses(Tensor logits, int k)
    {
        using var scope = NewDisposeScope();
        long[] indices = logits.reshape(-1).topk(k).indexes.data<long>().ToArray();
        return indices.Select(i => ImageNetLabels[(int)i]).ToArray();
    }
}

/// <summary>The shared model, imported once for a test class.</summary>
public sealed class SharedOnnxModelFixture : IDisposable
{
    public OnnxCamModel Model { get; } = OnnxTestSupport.LoadSharedModel();

    public void Dispose() => Model.Dispose();
}
