using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// KPCA-CAM: ReLU of the activations' first kernel principal component: X (hw × C) centred per channel,
/// K = tanh(γ·XXᵀ + 1) (the sigmoid kernel, γ = 1/C by default, as scikit-learn's <c>KernelPCA</c> that
/// pytorch-grad-cam's <c>KPCA_CAM</c> uses), K double-centred, and the map √λ₁·u₁ of its top eigenpair. Class-agnostic.
/// </summary>
/// <remarks>
/// The component's sign is scikit-learn's (its largest entry in magnitude positive), so maps agree with pytorch-grad-cam's;
/// Eigen-CAM's channel-sum correlation gave the opposite sign on the reference photos (Pearson −0.70).
/// </remarks>
public sealed class KpcaCam : ICamMethod
{
    private static readonly MethodOption Gamma = new("gamma", "sigmoid kernel scale γ (0: 1 / channels)", 0, 0, 1000);

    private readonly double _gamma;

    public KpcaCam() : this(Gamma.Default)
    {
    }

    private KpcaCam(double gamma) => _gamma = gamma;

    public string Id => "kpcacam";
    public string DisplayName => "KPCA-CAM";
    public string Paper => "Karmani et al. 2024, KPCA-CAM: Visual Explainability of Deep Computer Vision Models using Kernel PCA (MMSP, arXiv:2410.00267)";
    public MethodRequirements Requirements => MethodRequirements.None;
    public bool IsClassSpecific => false;
    public IReadOnlyList<MethodOption> Options => [Gamma];

    public ICamMethod WithOptions(MethodOptionValues values) => new KpcaCam(values[Gamma.Name]);

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor a = inputs.Activations;
        long n = a.shape[0], channels = a.shape[1], height = a.shape[2], width = a.shape[3];
        long positions = height * width;
        double gamma = _gamma > 0 ? _gamma : 1.0 / channels;

        Tensor x = torch.nan_to_num(a.to(ScalarType.Float64), 0, 0, 0).flatten(2).transpose(1, 2);    // N × hw × C
        x = x - x.mean([1], keepdim: true);
        Tensor k = torch.tanh(gamma * torch.bmm(x, x.transpose(1, 2)) + 1);
        Tensor rowMean = k.mean([2], keepdim: true), columnMean = k.mean([1], keepdim: true);
        k = k - rowMean - columnMean + k.mean([1, 2], keepdim: true);
        (Tensor values, Tensor vectors) = torch.linalg.eigh(k);
        Tensor projection = vectors[.., .., -1] * values[.., -1].clamp_min(0).sqrt().unsqueeze(1);   // N × hw
        // scikit-learn's sign (svd_flip): the component's largest entry in magnitude is positive.
        Tensor largest = projection.gather(1, projection.abs().argmax(1, keepdim: true));
        projection = torch.where(largest < 0, -projection, projection);
        return projection.to(a.dtype).reshape(n, height, width).relu().MoveToOuterDisposeScope();
    }
}
