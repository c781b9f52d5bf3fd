using CamStudio.Engine.Cam.Features;
using CamStudio.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam.Features;

/// <summary>eigen_smooth's projection in closed form: rank-one terms T_kp = u_k·v_p project to ReLU(|u|·(v_p − v̄)).</summary>
[Collection(TorchCollection.Name)]
public sealed class EigenSmoothingTests
{
    [Theory]
    [InlineData(2)]  // hw ≤ C: the Gram-matrix path
    [InlineData(9)]  // hw > C: the C × C path
    public void RankOneTermsProjectOnTheirPositionProfile(int side)
    {
        long before = LiveTensors.OnThisThread();
        double[] u = [0.5, -0.2, 1.1, 0.3, 0.7];      // Σu > 0, so the sum agrees with +v
        double[] v = Enumerable.Range(0, side * side).Select(p => Math.Sin(p * 1.3) + 0.2 * p).ToArray();
        double norm = Math.Sqrt(u.Sum(x => x * x)), mean = v.Average();
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            float[] terms = u.SelectMany(uk => v.Select(vp => (float)(uk * vp))).ToArray();
            Tensor t = torch.tensor(terms).reshape(1, u.Length, side, side);
            float[] actual = EigenSmoothing.Project(t).data<float>().ToArray();
            for (int p = 0; p < v.Length; p++)
                Assert.Equal(Math.Max(0, norm * (v[p] - mean)), actual[p], 1e-4);
        }
        Assert.Equal(before, LiveTensors.OnThisThread());
    }
}
