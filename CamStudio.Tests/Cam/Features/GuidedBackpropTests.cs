using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam.Features;

/// <summary>Guided backpropagation against the rule done by hand on a two-ReLU network of 1×1 convolutions.</summary>
[Collection(TorchCollection.Name)]
public sealed class GuidedBackpropTests
{
    // conv1 (3→2) → ReLU → conv2 (2→2) → ReLU → GAP → fc (2→3); every weight chosen so that some gradients into
    // each ReLU are negative where its input is positive (the case where guided and plain gradients differ).
    private static readonly double[,] W1 = { { 1.0, -0.5, 0.3 }, { -0.4, 0.8, 0.6 } };
    private static readonly double[] B1 = [0.1, 0.05];
    private static readonly double[,] W2 = { { 0.7, -1.2 }, { -0.6, 0.9 } };
    private static readonly double[] B2 = [0.2, 0.1];
    private static readonly double[,] Wl = { { 1.0, -0.8 }, { -0.5, 0.7 }, { 0.3, 0.4 } };

    [Fact]
    public void GuidedGradientOfATwoReluNetEqualsTheHandComputedRule()
    {
        using ModuleCamModel model = HandBuilt();
        long before = LiveTensors.OnThisThread();
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            torch.manual_seed(11);
            Tensor batch = torch.randn(2, 3, 2, 2);
            float[] x = batch.data<float>().ToArray();
            long[][] classes = [[0, 1], [2, 0]];
            Tensor[] guided = GuidedBackprop.InputGradients(model, batch, classes);
            bool anyClamped = false;
            for (int rank = 0; rank < classes.Length; rank++)
            {
                float[] actual = guided[rank].data<float>().ToArray();
                for (int n = 0; n < 2; n++)
                {
                    (double[] expected, double[] plain) = ByHand(x.AsSpan(n * 12, 12), (int)classes[rank][n]);
                    for (int i = 0; i < 12; i++)
                    {
                        Assert.Equal(expected[i], actual[n * 12 + i], 1e-5);
                        anyClamped |= Math.Abs(expected[i] - plain[i]) > 1e-3;
                    }
                }
            }
            Assert.True(anyClamped, "The case should make guided and plain gradients differ somewhere.");
        }
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    /// <summary>Guided and plain ∂logit_c/∂x for one photo (3 channels × 4 positions, channel-major).</summary>
    private static (double[] Guided, double[] Plain) ByHand(ReadOnlySpan<float> x, int c)
    {
        var guided = new double[12];
        var plain = new double[12];
        for (int p = 0; p < 4; p++)
        {
            var h1 = new double[2];
            for (int j = 0; j < 2; j++)
                h1[j] = W1[j, 0] * x[p] + W1[j, 1] * x[4 + p] + W1[j, 2] * x[8 + p] + B1[j];
            var h2 = new double[2];
            for (int k = 0; k < 2; k++)
                h2[k] = W2[k, 0] * Math.Max(h1[0], 0) + W2[k, 1] * Math.Max(h1[1], 0) + B2[k];
            foreach (bool guide in new[] { true, false })
            {
                var dh2 = new double[2];
                for (int k = 0; k < 2; k++)
                {
                    double dr2 = Wl[c, k] / 4; // GAP over 4 positions
                    dh2[k] = h2[k] > 0 && (!guide || dr2 > 0) ? dr2 : 0;
                }
                var dh1 = new double[2];
                for (int j = 0; j < 2; j++)
                {
                    double dr1 = W2[0, j] * dh2[0] + W2[1, j] * dh2[1];
                    dh1[j] = h1[j] > 0 && (!guide || dr1 > 0) ? dr1 : 0;
                }
                double[] target = guide ? guided : plain;
                for (int ch = 0; ch < 3; ch++)
                    target[ch * 4 + p] = W1[0, ch] * dh1[0] + W1[1, ch] * dh1[1];
            }
        }
        return (guided, plain);
    }

    private static ModuleCamModel HandBuilt()
    {
        var conv1 = nn.Conv2d(3, 2, 1);
        var conv2 = nn.Conv2d(2, 2, 1);
        var fc = nn.Linear(2, 3);
        using (torch.NewDisposeScope())
        using (torch.no_grad())
        {
            conv1.weight!.copy_(Flat(W1).reshape(2, 3, 1, 1));
            conv1.bias!.copy_(torch.tensor(B1.Select(v => (float)v).ToArray()));
            conv2.weight!.copy_(Flat(W2).reshape(2, 2, 1, 1));
            conv2.bias!.copy_(torch.tensor(B2.Select(v => (float)v).ToArray()));
            fc.weight!.copy_(Flat(Wl));
            fc.bias!.zero_();
        }
        var network = nn.Sequential(("conv1", conv1), ("relu1", nn.ReLU()), ("conv2", conv2), ("relu2", nn.ReLU()),
            ("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", fc));
        return new ModuleCamModel("hand-relu", network, PreprocessingSpec.ImageNet(2), torch.CPU);
    }

    private static Tensor Flat(double[,] values) =>
        torch.tensor(values.Cast<double>().Select(v => (float)v).ToArray()).reshape(values.GetLength(0), values.GetLength(1));
}
