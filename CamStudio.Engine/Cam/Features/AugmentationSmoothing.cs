using CamStudio.Engine.Maps;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Features;

/// <summary>
/// aug_smooth as pytorch-grad-cam does it with ttach: the preprocessed input under each of horizontal flip (off, on) ×
/// multiply (0.9, 1, 1.1) — ttach's <c>Multiply</c> scales the normalised tensor's values, it does not resize —
/// each map ReLU'd and min-max scaled to [0, 1], flipped back, and averaged. The six inputs run as one batch (6N):
/// the cost is exactly five more passes, forward and backward, and no more.
/// </summary>
/// <remarks>
/// pytorch-grad-cam lets each augmented input explain its own top class when no target is given; here every copy
/// explains its original's classes (the same whenever the top class survives the augmentation), so the six maps
/// averaged are always maps of one class. The scaling and averaging happen at the layer's resolution; bilinear
/// upsampling is linear and commutes with a horizontal flip, so this equals doing them at the input's resolution.
/// </remarks>
public static class AugmentationSmoothing
{
    /// <summary>ttach's order: Compose(HorizontalFlip, Multiply) is the product, flip outermost.</summary>
    public static IReadOnlyList<(bool Flip, float Factor)> Transforms { get; } =
        [(false, 0.9f), (false, 1f), (false, 1.1f), (true, 0.9f), (true, 1f), (true, 1.1f)];

    /// <summary>The transform that leaves the input as it is (whose predictions the photo reports).</summary>
    public const int Identity = 1;

    /// <summary>The 6N batch: transform t of photo i at t·N + i.</summary>
    public static Tensor Augment(Tensor batch)
    {
        using var scope = torch.NewDisposeScope();
        var copies = Transforms.Select(t => (t.Flip ? batch.flip(3) : batch) * t.Factor).ToArray();
        return torch.cat(copies, 0).MoveToOuterDisposeScope();
    }

    /// <summary>The average of the six maps of one class (in <see cref="Transforms"/> order), each scaled and flipped back.</summary>
    public static CamMap Fold(IReadOnlyList<CamMap> maps)
    {
        if (maps.Count != Transforms.Count)
            throw new ArgumentException($"Augmentation smoothing folds {Transforms.Count} maps, got {maps.Count}.", nameof(maps));
        int width = maps[0].Width, height = maps[0].Height;
        var mean = new float[width * height];
        var scaled = new float[width * height];
        for (int t = 0; t < maps.Count; t++)
        {
            CamMap map = maps[t];
            for (int i = 0; i < scaled.Length; i++)
                scaled[i] = Math.Max(map.Raw[i], 0f);
            LayerFusions.MinMaxInPlace(scaled);
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int from = y * width + (Transforms[t].Flip ? width - 1 - x : x);
                    mean[y * width + x] += scaled[from] / maps.Count;
                }
            }
        }
        return new CamMap(width, height, mean);
    }
}
