using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// FEM (Feature Explanation Method): ReLU(Σ_k w_k · A_k) with w_k the share of positions where A_k &gt; μ_k + k·σ_k
/// (μ_k, σ_k the channel's mean and population standard deviation): channels weighted by how often they fire strongly.
/// Class-agnostic; k = 2 by default, as pytorch-grad-cam's <c>FEM</c>.
/// </summary>
public sealed class Fem : ICamMethod
{
    private static readonly MethodOption SigmaFactor = new("k", "threshold above the channel mean, in standard deviations", 2, 0, 10);

    private readonly double _k;

    public Fem() : this(SigmaFactor.Default)
    {
    }

    private Fem(double k) => _k = k;

    public string Id => "fem";
    public string DisplayName => "FEM";
    public string Paper => "Fuad et al. 2020, Features Understanding in 3D CNNs for Actions Recognition in Video (IPTA), hal-02963298";
    public MethodRequirements Requirements => MethodRequirements.None;
    public bool IsClassSpecific => false;
    public IReadOnlyList<MethodOption> Options => [SigmaFactor];

    public ICamMethod WithOptions(MethodOptionValues values) => new Fem(values[SigmaFactor.Name]);

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor a = inputs.Activations;
        Tensor mean = a.mean([2, 3], keepdim: true);
        Tensor std = a.std([2, 3], unbiased: false, keepdim: true);
        Tensor weights = (a > mean + _k * std).to(a.dtype).mean([2, 3]);
        return ChannelWeighting.WeightedSum(weights, a).relu().MoveToOuterDisposeScope();
    }
}
