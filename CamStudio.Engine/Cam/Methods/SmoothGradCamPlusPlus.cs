using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Smooth Grad-CAM++: Grad-CAM++ with the gradient powers averaged over noisy copies of the photo,
/// ReLU(Σ_k w_k · A_k), w_k = Σ_ij α_kij · ReLU(ḡ_kij), α = mean(g²) / (2·mean(g²) + Σ_ab A_kab · mean(g³) + ε), the
/// means over n copies x + N(0, σ²) (n = 4, σ = 0.3 in normalised input units, TorchCAM's defaults; its numerator
/// correction, mean g² instead of mean g, kept). A is the clean photo's activation, ḡ the mean gradient over the copies.
/// </summary>
/// <remarks>
/// The noise is drawn from a private generator with a fixed seed, one n×3×H×W draw shared by every photo, so a
/// photo's map does not depend on the batch it came in. All copies of all photos go through the model in chunks:
/// n extra forwards and partial backwards per photo and class.
/// </remarks>
public sealed class SmoothGradCamPlusPlus : ICamMethod
{
    /// <summary>The noise seed (shared with the reference script, scripts/anchor-references.py).</summary>
    public const ulong NoiseSeed = 20190801;

    private const double Epsilon = 1e-8;
    private static readonly MethodOption Samples = new("samples", "noisy copies of the photo averaged", 4, 1, 64, IsInteger: true);
    private static readonly MethodOption Sigma = new("sigma", "standard deviation of the noise, in normalised input units", 0.3, 0, 5);

    private readonly int _samples;
    private readonly double _sigma;

    public SmoothGradCamPlusPlus() : this((int)Samples.Default, Sigma.Default)
    {
    }

    private SmoothGradCamPlusPlus(int samples, double sigma)
    {
        _samples = samples;
        _sigma = sigma;
    }

    public string Id => "smoothgradcam++";
    public string DisplayName => "Smooth Grad-CAM++";
    public string Paper => "Omeiza et al. 2019, Smooth Grad-CAM++: An Enhanced Inference Level Visualization Technique for Deep Convolutional Neural Network Models (arXiv:1908.01224)";
    public MethodRequirements Requirements => MethodRequirements.Gradients | MethodRequirements.ExtraForwards;
    public bool IsClassSpecific => true;
    public IReadOnlyList<MethodOption> Options => [Samples, Sigma];

    public ICamMethod WithOptions(MethodOptionValues values) => new SmoothGradCamPlusPlus(values.Int(Samples.Name), values[Sigma.Name]);

    /// <summary>One forward and partial backward per noisy copy (per class).</summary>
    public long ExtraForwardsPerPhoto(long channels) => _samples;

    /// <summary>The noise, n×3×H×W for an input of H×W, as the reference script draws it (torch.randn with a seeded CPU generator).</summary>
    public static Tensor Noise(int samples, long height, long width, double sigma)
    {
        using var generator = new torch.Generator(NoiseSeed, torch.CPU);
        return torch.randn([samples, 3, height, width], generator: generator) * sigma;
    }

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        ExtraForwards forwards = inputs.RequireForwards(DisplayName);
        Tensor a = inputs.Activations;
        Tensor photos = forwards.Input;
        long n = photos.shape[0];
        Tensor noise = Noise(_samples, photos.shape[2], photos.shape[3], _sigma).to(photos.dtype).to(photos.device);
        Tensor noisy = (photos.unsqueeze(1) + noise.unsqueeze(0)).flatten(0, 1);                 // (N·n)×3×H×W, photo-major
        Tensor classes = inputs.ClassIndices.repeat_interleave(_samples);
        Tensor g = forwards.LayerGradients(noisy, classes).unflatten(0, [n, _samples]);         // N×n×C×h×w
        Tensor g2 = g.square().mean([1]);
        Tensor g3 = g.pow(3).mean([1]);
        Tensor alpha = g2 / (2 * g2 + a.sum([2, 3], keepdim: true) * g3 + Epsilon);
        Tensor weights = (alpha * g.mean([1]).relu()).sum([2, 3]);
        return ChannelWeighting.WeightedSum(weights, a).relu().MoveToOuterDisposeScope();
    }
}
