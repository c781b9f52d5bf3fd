using CamStudio.Engine.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// Trivial maps every method should beat, scored by the same code: uniform noise (seeded), a centred Gaussian
/// (σ = a quarter of the side, per axis) and the Sobel edge magnitude of the input. Each is at input resolution and
/// min-max normalised to [0, 1].
/// </summary>
/// <remarks>
/// The noise is drawn on the explained layer's grid and upsampled bilinearly like a method's map: a random map a
/// method could have produced. Noise drawn per input pixel would delete a scattered pixel pattern, which destroys any
/// photo almost at once; that measures the perturbation, not the map.
/// </remarks>
public static class BaselineMaps
{
    /// <summary>The baseline <paramref name="name"/> (<see cref="MetricNames.Baselines"/>) for <paramref name="input"/> (1×C×H×W).</summary>
    /// <paramref name="gridWidth"/>×<paramref name="gridHeight"/>: the explained layer's grid the noise is drawn on.
    public static float[] For(string name, Tensor input, ulong seed, int gridWidth, int gridHeight)
    {
        int h = (int)input.shape[2], w = (int)input.shape[3];
        return name switch
        {
            MetricNames.BaselineRandom => Normalise(MapResampler.Resize(Random(gridWidth, gridHeight, seed), gridWidth, gridHeight, w, h)),
            MetricNames.BaselineCentre => Centre(w, h),
            MetricNames.BaselineSobel => Sobel(input),
            _ => throw new ArgumentException($"Unknown baseline '{name}'; baselines: {string.Join(", ", MetricNames.Baselines)}.", nameof(name)),
        };
    }

    /// <summary>Uniform noise in [0, 1).</summary>
    public static float[] Random(int width, int height, ulong seed)
    {
        var random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var map = new float[width * height];
        for (int i = 0; i < map.Length; i++)
            map[i] = random.NextSingle();
        return map;
    }

    /// <summary>exp(−(dx²/2σx² + dy²/2σy²)) around the centre, σ = side / 4.</summary>
    public static float[] Centre(int width, int height)
    {
        double cx = (width - 1) / 2.0, cy = (height - 1) / 2.0, sx = width / 4.0, sy = height / 4.0;
        var map = new float[width * height];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                map[y * width + x] = (float)Math.Exp(-((x - cx) * (x - cx) / (2 * sx * sx) + (y - cy) * (y - cy) / (2 * sy * sy)));
        return Normalise(map);
    }

    /// <summary>√(Gx² + Gy²) of the channel mean, 3×3 Sobel kernels, edges replicated.</summary>
    public static float[] Sobel(Tensor input)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        Tensor grey = input.to(ScalarType.Float32).mean([1], keepdim: true);
        Tensor padded = nn.functional.pad(grey, [1, 1, 1, 1], PaddingModes.Replicate);
        Tensor gx = torch.tensor(new float[] { -1, 0, 1, -2, 0, 2, -1, 0, 1 }, device: input.device).reshape(1, 1, 3, 3);
        Tensor gy = torch.tensor(new float[] { -1, -2, -1, 0, 0, 0, 1, 2, 1 }, device: input.device).reshape(1, 1, 3, 3);
        Tensor magnitude = (nn.functional.conv2d(padded, gx).square() + nn.functional.conv2d(padded, gy).square()).sqrt();
        return Normalise(magnitude.cpu().contiguous().data<float>().ToArray());
    }

    /// <summary>Min-max to [0, 1]; a flat map becomes zeros.</summary>
    public static float[] Normalise(float[] map)
    {
        float min = map.Min(), max = map.Max(), span = max - min;
        return span > 1e-12f ? map.Select(v => (v - min) / span).ToArray() : new float[map.Length];
    }
}
