using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// ROAD's noisy linear imputation (Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution
/// Methods", ICML 2022): every removed pixel becomes the weighted mean of its eight neighbours (weight 1/6 for the four
/// direct ones, 1/12 for the diagonals; neighbours outside the image left out), known or themselves removed, plus
/// Gaussian noise (σ = 0.01).
/// </summary>
/// <remarks>
/// Per channel that is the sparse linear system (S − W) x = W_known v over the removed pixels (S: each pixel's sum of
/// in-image neighbour weights, W: the weights between removed pixels): symmetric, diagonally dominant, positive definite
/// wherever a group of removed pixels touches a known one. It is solved, all channels and masks at once, by conjugate
/// gradients to a relative residual of <see cref="Tolerance"/>, preconditioned by one multigrid V-cycle per iteration:
/// a weighted Jacobi sweep before and after, the residual summed over 2×2 blocks onto the next grid (a coarse pixel is
/// removed when all four of its pixels are) and the correction copied back (nearest), down to an 8-pixel side where
/// Jacobi sweeps stand in for a solve. Restriction is the transpose of prolongation and the smoothing symmetric, so the
/// preconditioner is symmetric positive definite and CG stays CG. On ROAD's masks of a 224² photo that takes about 20
/// iterations where Jacobi-preconditioned CG took about 350 (measured side by side; METRICS.md). The operator is a 3×3
/// convolution, so nothing is stored. A group of removed pixels with no known neighbour at all (e.g. a flat map
/// removes everything) has no data: its right-hand side is 0 and it is imputed as 0 (the normalised input's mean),
/// plus noise; the preconditioner never mixes groups (a coarse pixel's four are neighbours), so that stays 0.
/// </remarks>
public static class NoisyLinearImputation
{
    /// <summary>Noise σ added to imputed pixels (pytorch-grad-cam's default).</summary>
    public const float Noise = 0.01f;

    /// <summary>Relative residual ‖b − Ax‖ / ‖b‖ every system is solved to.</summary>
    public const double Tolerance = 1e-5;

    private const int MaxIterations = 1000;
    private const int CoarsestSide = 8;
    private const int CoarsestSweeps = 20;
    private const float Omega = 0.7f;

    /// <summary>
    /// <paramref name="images"/> (M×C×H×W) with the pixels where <paramref name="known"/> (M×1×H×W, 1 = keep, 0 =
    /// remove) is 0 imputed; noise from <paramref name="generator"/> (null: no noise). The caller owns the result.
    /// </summary>
    public static Tensor Impute(Tensor images, Tensor known, torch.Generator? generator) => Impute(images, known, generator, Solve);

    /// <summary>
    /// <see cref="Impute(Tensor, Tensor, torch.Generator?)"/> with another harmonic-fill solver (B×1×H×W values, 0 where
    /// unknown, and the keep mask): the benchmark times the solver it replaced on the same problem.
    /// </summary>
    internal static Tensor Impute(Tensor images, Tensor known, torch.Generator? generator, Func<Tensor, Tensor, Tensor> solve)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        long m = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        Tensor values = images.to(ScalarType.Float32).reshape(m * c, 1, h, w);
        Tensor keep = known.to(ScalarType.Float32).expand(m, c, h, w).reshape(m * c, 1, h, w);
        Tensor solved = solve(values * keep, keep).reshape(m, c, h, w);
        Tensor missing = 1 - known.to(ScalarType.Float32);
        if (generator is not null)
            solved = solved + Noise * torch.randn([m, c, h, w], generator: generator).to(solved.device);
        Tensor result = images.to(ScalarType.Float32) * known.to(ScalarType.Float32) + solved * missing;
        return result.to(images.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The neighbour weights as a 3×3 kernel (centre 0).</summary>
    internal static Tensor Kernel(Device device) => torch.tensor(new float[]
    {
        1f / 12, 1f / 6, 1f / 12,
        1f / 6, 0f, 1f / 6,
        1f / 12, 1f / 6, 1f / 12,
    }, device: device).reshape(1, 1, 3, 3);

    /// <summary>Harmonic fill of B×1×H×W <paramref name="values"/> (0 where unknown) given <paramref name="keep"/>; known pixels returned as given.</summary>
    private static Tensor Solve(Tensor values, Tensor keep)
    {
        Tensor kernel = Kernel(values.device);
        List<Grid> grids = Grids(1 - keep, kernel);
        Tensor rhs = grids[0].Missing * nn.functional.conv2d(values, kernel, padding: [1, 1]);
        return values + grids[0].Missing * ConjugateGradients(rhs, grids, kernel);
    }

    /// <summary>One grid of the hierarchy: its removed pixels and their neighbour-weight sums (the operator's diagonal).</summary>
    private sealed record Grid(Tensor Missing, Tensor NeighbourWeights, Tensor InverseDiagonal);

    private static List<Grid> Grids(Tensor missing, Tensor kernel)
    {
        var grids = new List<Grid>();
        while (true)
        {
            long h = missing.shape[2], w = missing.shape[3];
            Tensor weights = nn.functional.conv2d(torch.ones([1, 1, h, w], device: missing.device), kernel, padding: [1, 1]);
            grids.Add(new Grid(missing, weights, missing / weights));
            if (Math.Min(h, w) < 2 * CoarsestSide)
                return grids;
            // A coarse pixel is removed when all four of its pixels are (the minimum over the 2×2 block).
            missing = -nn.functional.max_pool2d(-missing, 2, 2, ceil_mode: true);
        }
    }

    /// <summary>(S − W) v on the removed pixels of <paramref name="grid"/>.</summary>
    private static Tensor Apply(Grid grid, Tensor v, Tensor kernel) =>
        grid.Missing * (grid.NeighbourWeights * v - nn.functional.conv2d(v, kernel, padding: [1, 1]));

    /// <summary>One V-cycle from level <paramref name="level"/> down: an approximate inverse of the operator applied to <paramref name="r"/>.</summary>
    private static Tensor VCycle(List<Grid> grids, int level, Tensor r, Tensor kernel)
    {
        Grid grid = grids[level];
        Tensor x = Omega * grid.InverseDiagonal * r;
        if (level == grids.Count - 1)
        {
            for (int sweep = 1; sweep < CoarsestSweeps; sweep++)
                x = x + Omega * grid.InverseDiagonal * (r - Apply(grid, x, kernel));
            return x;
        }
        long h = r.shape[2], w = r.shape[3];
        // Restriction: the residual summed over each 2×2 block (zero-padded at an odd edge), on the coarse removed pixels.
        Tensor residual = nn.functional.pad(r - Apply(grid, x, kernel), [0, w % 2, 0, h % 2]);
        Tensor coarse = grids[level + 1].Missing * (4 * nn.functional.avg_pool2d(residual, 2, 2));
        Tensor correction = VCycle(grids, level + 1, coarse, kernel);
        // Prolongation: each coarse pixel's correction copied to its four (the transpose of the restriction).
        Tensor fine = nn.functional.interpolate(correction, [correction.shape[2] * 2, correction.shape[3] * 2], mode: InterpolationMode.Nearest);
        x = x + grid.Missing * fine[.., .., ..(int)h, ..(int)w];
        return x + Omega * grid.InverseDiagonal * (r - Apply(grid, x, kernel));
    }

    /// <summary>Solves (S − W) x = rhs on the removed pixels, every system of the batch on its own, from x = 0.</summary>
    private static Tensor ConjugateGradients(Tensor rhs, List<Grid> grids, Tensor kernel)
    {
        Tensor Sum(Tensor v) => v.sum([1, 2, 3], keepdim: true);
        Tensor rhsNorm = Sum(rhs * rhs).sqrt().clamp_min(1e-30);
        Tensor x = torch.zeros_like(rhs);
        Tensor r = rhs.clone();
        Tensor p = VCycle(grids, 0, r, kernel);
        Tensor rz = Sum(r * p);
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            if ((Sum(r * r).sqrt() / rhsNorm).max().item<float>() <= Tolerance)
                break;
            using DisposeScope step = torch.NewDisposeScope();
            Tensor ap = Apply(grids[0], p, kernel);
            Tensor curvature = Sum(p * ap);
            Tensor alpha = torch.where(curvature > 0, rz / curvature.clamp_min(1e-30), torch.zeros_like(rz));
            Tensor nextX = x + alpha * p;
            Tensor nextR = r - alpha * ap;
            Tensor nextZ = VCycle(grids, 0, nextR, kernel);
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
