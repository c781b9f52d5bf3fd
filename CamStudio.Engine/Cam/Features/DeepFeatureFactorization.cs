using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Features;

/// <summary>One concept of a photo: where it is, and the classes the model's head gives it.</summary>
/// <param name="Index">Its number (0-based, the factorisation's order).</param>
/// <param name="Map">Its spatial weights at the layer's resolution (non-negative).</param>
/// <param name="TopClasses">The classes its channel profile scores highest through the linear head (softmax); empty without a head.</param>
public sealed record Concept(int Index, CamMap Map, IReadOnlyList<Prediction> TopClasses);

/// <summary>
/// Deep Feature Factorization (Collins et al. 2018, Deep Feature Factorization for Concept Discovery, ECCV), as
/// pytorch-grad-cam's <c>DeepFeatureFactorization</c>: a photo's C × hw activations, shifted per channel to be
/// non-negative, factorised by NMF into K concepts (C × K channel profiles, K × hw maps); each profile, shifted back,
/// is scored by the linear head after the layer.
/// </summary>
/// <remarks>
/// NMF by hierarchical alternating least squares (Cichocki &amp; Phan 2009) from a seeded random start: a coordinate
/// descent like scikit-learn's "cd" solver that pytorch-grad-cam calls, so results agree up to NMF's own local optima.
/// Each photo is factorised alone (pytorch-grad-cam factorises a batch jointly; for one photo the two are the same).
/// </remarks>
public static class DeepFeatureFactorization
{
    /// <summary>Most concepts one photo is split into.</summary>
    public const int MaxConcepts = 16;

    private const int Iterations = 1000;
    private const ulong Seed = 0;

    /// <summary>Non-negative W (m×k), H (k×n) with X ≈ W·H for a non-negative m×n <paramref name="x"/> (float64).</summary>
    public static (Tensor W, Tensor H) Factorize(Tensor x, int k, int iterations = Iterations)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (k < 1)
            throw new ArgumentOutOfRangeException(nameof(k), "NMF needs at least one component.");
        using DisposeScope scope = torch.NewDisposeScope();
        x = x.to(ScalarType.Float64);
        long m = x.shape[0], n = x.shape[1];
        using var generator = new torch.Generator(Seed, x.device);
        double scale = Math.Sqrt(Math.Max(x.mean().item<double>(), 1e-12) / k);
        Tensor w = torch.rand([m, k], generator: generator, dtype: ScalarType.Float64, device: x.device) * scale;
        Tensor h = torch.rand([k, n], generator: generator, dtype: ScalarType.Float64, device: x.device) * scale;
        double previous = double.PositiveInfinity, norm = Math.Max(x.norm().item<double>(), 1e-30);
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            using DisposeScope step = torch.NewDisposeScope();
            Tensor gram = w.t().mm(w), projected = w.t().mm(x);
            for (int j = 0; j < k; j++)
                h[j].copy_((h[j] + (projected[j] - gram[j].unsqueeze(0).mm(h).squeeze(0)) / gram[j, j].clamp_min(1e-12)).clamp_min(0));
            gram = h.mm(h.t());
            projected = x.mm(h.t());
            for (int j = 0; j < k; j++)
                w[.., j].copy_((w[.., j] + (projected[.., j] - w.mv(gram[.., j])) / gram[j, j].clamp_min(1e-12)).clamp_min(0));
            if (iteration % 10 == 9)
            {
                double error = (x - w.mm(h)).norm().item<double>() / norm;
                if (previous - error < 1e-4 * error)
                    break;
                previous = error;
            }
        }
        return (w.MoveToOuterDisposeScope(), h.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Each photo of <paramref name="activations"/> (N×C×h×w) as <paramref name="k"/> concepts, each with its
    /// <paramref name="classesPerConcept"/> best classes through <paramref name="head"/> (none without one).
    /// </summary>
    public static IReadOnlyList<Concept>[] Explain(Tensor activations, int k, LinearHead? head, IReadOnlyList<string> labels, int classesPerConcept)
    {
        ArgumentNullException.ThrowIfNull(activations);
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        long photos = activations.shape[0], channels = activations.shape[1];
        int height = (int)activations.shape[2], width = (int)activations.shape[3];
        var result = new IReadOnlyList<Concept>[photos];
        for (int i = 0; i < photos; i++)
        {
            using DisposeScope photo = torch.NewDisposeScope();
            Tensor x = activations[i].reshape(channels, -1).to(ScalarType.Float64).nan_to_num(0, 0, 0);
            Tensor offset = x.min(1, keepdim: true).values;
            (Tensor w, Tensor h) = Factorize(x - offset, k);
            Tensor profiles = (w + offset).t();                       // k × C
            float[] maps = h.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
            var top = new List<Prediction>[k];
            for (int j = 0; j < k; j++)
                top[j] = [];
            if (head is not null && classesPerConcept > 0)
            {
                Tensor scores = profiles.to(head.Weight.dtype).mm(head.Weight.t());
                if (head.Bias is not null)
                    scores = scores + head.Bias;
                int count = (int)Math.Min(classesPerConcept, scores.shape[1]);
                (Tensor values, Tensor indices) = scores.softmax(1).topk(count, dim: 1);
                float[] p = values.to(ScalarType.Float32).cpu().data<float>().ToArray();
                long[] c = indices.cpu().data<long>().ToArray();
                for (int j = 0; j < k; j++)
                    for (int r = 0; r < count; r++)
                        top[j].Add(new Prediction((int)c[j * count + r], labels[(int)c[j * count + r]], p[j * count + r]));
            }
            int size = height * width;
            result[i] = Enumerable.Range(0, k).Select(j => new Concept(j, new CamMap(width, height, maps.AsSpan(j * size, size).ToArray()), top[j])).ToArray();
        }
        return result;
    }
}
