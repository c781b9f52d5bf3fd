using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Metrics;

/// <summary>
/// A 4×4 two-class model whose probabilities are known in closed form: logit₀ = Σ_i w_i·x₀_i (channel 0 only),
/// logit₁ = 0, so p₀ = σ(Σ w_i x₀_i).
/// </summary>
internal static class ToyModels
{
    public const int Side = 4;

    public static ModuleCamModel Linear4x4(float[] weights)
    {
        var conv = nn.Conv2d(3, 1, 1, bias: false);
        var fc = nn.Linear(Side * Side, 2, hasBias: false);
        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            conv.weight!.copy_(torch.tensor(new float[] { 1, 0, 0 }).reshape(1, 3, 1, 1));
            var w = new float[2 * Side * Side];
            weights.CopyTo(w, 0);
            fc.weight!.copy_(torch.tensor(w).reshape(2, Side * Side));
        }
        var network = nn.Sequential(("conv", conv), ("flatten", nn.Flatten()), ("fc", fc));
        return new ModuleCamModel("toy-4x4", network, PreprocessingSpec.ImageNet(Side), torch.CPU);
    }

    /// <summary>σ(Σ w_i v_i) written out, the test's own reference.</summary>
    public static double P0(float[] weights, double[] channel0)
    {
        double z = 0;
        for (int i = 0; i < weights.Length; i++)
            z += weights[i] * channel0[i];
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>1×3×4×4 input with <paramref name="channel0"/> in channel 0 and noise elsewhere (which the model ignores).</summary>
    public static Tensor Input(double[] channel0)
    {
        var values = new float[3 * Side * Side];
        for (int i = 0; i < Side * Side; i++)
        {
            values[i] = (float)channel0[i];
            values[Side * Side + i] = 0.3f * i;
            values[2 * Side * Side + i] = -0.2f * i;
        }
        return torch.tensor(values).reshape(1, 3, Side, Side);
    }

    public static ProbabilityScorer Scorer(ICamModel model) => new(model, "conv", new ForwardPacing(0), CancellationToken.None);
}
