using CamStudio.Engine.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// ROAD's noisy linear imputation as the engine solved it before the multigrid preconditioner (Jacobi-preconditioned
/// conjugate gradients from a cascadic coarse-grid start), kept here only to time it beside today's
/// <see cref="CamStudio.Engine.Metrics.NoisyLinearImputation"/> on the same masks, and to check both answer the same.
/// </summary>
internal static class ImputationBefore
{
    private const double Tolerance = 1e-5;
    private const int MaxIterations = 3000;
    private const int CoarsestSide = 8;

    /// <summary>The engine's imputation with this solver in place of its own.</summary>
    public static Tensor Impute(Tensor images, Tensor known, torch.Generator? generator) =>
        NoisyLinearImputation.Impute(images, known, generator, Solve);

    /// <summary>Harmonic fill of B×1×H×W <paramref name="values"/> (0 where unknown) given <paramref name="keep"/>; known pixels returned as given.</summary>
    private static Tensor Solve(Tensor values, Tensor keep)
    {
        long h = values.shape[2], w = values.shape[3];
        Tensor kernel = NoisyLinearImputation.Kernel(values.device);
        Tensor missing = 1 - keep;
        Tensor neighbourWeights = nn.functional.conv2d(torch.ones([1, 1, h, w], device: values.device), kernel, padding: [1, 1]);
        Tensor rhs = missing * nn.functional.conv2d(values, kernel, padding: [1, 1]);

        Tensor guess;
        if (Math.Min(h, w) >= 2 * CoarsestSide)
        {
            // The same problem on a grid half the size: a coarse pixel is known when any of its four is.
            Tensor coarseKeep = nn.functional.max_pool2d(keep, 2, 2, ceil_mode: true);
            Tensor known = nn.functional.avg_pool2d(keep, 2, 2, ceil_mode: true);
            Tensor sums = nn.functional.avg_pool2d(values, 2, 2, ceil_mode: true);
            Tensor coarseValues = torch.where(known > 0, sums / known.clamp_min(1e-12), torch.zeros_like(sums));
            Tensor coarse = Solve(coarseValues, coarseKeep);
            guess = nn.functional.interpolate(coarse, [h, w], mode: InterpolationMode.Bilinear, align_corners: false) * missing;
        }
        else
        {
            guess = torch.zeros_like(values);
        }
        return values + missing * ConjugateGradients(guess, rhs, missing, neighbourWeights, kernel);
    }

    /// <summary>Solves (S − W) x = rhs on the missing pixels, every system of the batch on its own.</summary>
    private static Tensor ConjugateGradients(Tensor x, Tensor rhs, Tensor missing, Tensor neighbourWeights, Tensor kernel)
    {
        Tensor Apply(Tensor v) => missing * (neighbourWeights * v - nn.functional.conv2d(v, kernel, padding: [1, 1]));
        Tensor Sum(Tensor v) => v.sum([1, 2, 3], keepdim: true);
        Tensor inverseDiagonal = missing / neighbourWeights;
        Tensor rhsNorm = Sum(rhs * rhs).sqrt().clamp_min(1e-30);
        Tensor r = rhs - Apply(x);
        Tensor z = r * inverseDiagonal;
        Tensor p = z;
        Tensor rz = Sum(r * z);
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            if (iteration % 8 == 0 && (Sum(r * r).sqrt() / rhsNorm).max().item<float>() <= Tolerance)
                break;
            using DisposeScope step = torch.NewDisposeScope();
            Tensor ap = Apply(p);
            Tensor curvature = Sum(p * ap);
            Tensor alpha = torch.where(curvature > 0, rz / curvature.clamp_min(1e-30), torch.zeros_like(rz));
            Tensor nextX = x + alpha * p;
            Tensor nextR = r - alpha * ap;
            Tensor nextZ = nextR * inverseDiagonal;
            Tensor nextRz = Sum(nextR * nextZ);
            Tensor beta = torch.where(rz > 0, nextRz / rz.clamp_min(1e-30), torch.zeros_like(rz));
            Tensor nextP = nextZ + beta * p;
            step.MoveToOuter(nextX, nextR, nextP, nextRz);
            x.Dispose();
            r.Dispose();
            p.Dispose();
            rz.Dispose();
            (x, r, p, rz) = (nextX, nextR, nextP, nextRz);
        }
        return x;
    }
}
