using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// A model whose weights can be re-initialised from the output end inwards and put back: what the cascading
/// model-parameter randomisation sanity check needs (Adebayo et al., "Sanity Checks for Saliency Maps", NeurIPS 2018).
/// </summary>
/// <remarks>
/// A weight group is one layer's weights of rank ≥ 2 (convolution kernels, linear matrices), in execution order;
/// biases and normalisation parameters stay as they are. Call on the torch thread.
/// </remarks>
public interface IWeightRandomisation
{
    /// <summary>How many weight groups the model has (input end first).</summary>
    int WeightGroupCount { get; }

    /// <summary>
    /// Re-initialises the last <paramref name="count"/> weight groups with N(0, σ²), σ each tensor's own standard
    /// deviation, from a generator seeded with <paramref name="seed"/>; disposing the result restores the weights.
    /// </summary>
    IDisposable RandomiseFromOutput(int count, ulong seed);
}

/// <summary>Re-initialises and restores weight tensors in place (shared by the model kinds).</summary>
public static class WeightRandomiser
{
    /// <summary>Randomises the last <paramref name="count"/> of <paramref name="groups"/> in place; the result puts them back.</summary>
    public static IDisposable FromOutput(IReadOnlyList<IReadOnlyList<Tensor>> groups, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (count < 0 || count > groups.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} groups asked for, the model has {groups.Count}.");
        var saved = new List<(Tensor Weight, Tensor Original)>();
        using IDisposable noGrad = torch.no_grad();
        using var generator = new torch.Generator(seed, torch.CPU);
        for (int g = groups.Count - 1; g >= groups.Count - count; g--)
        {
            foreach (Tensor weight in groups[g])
            {
                using DisposeScope scope = torch.NewDisposeScope();
                Tensor original = weight.clone().DetachFromDisposeScope();
                double sigma = weight.numel() > 1 ? weight.to(ScalarType.Float32).std().item<float>() : 0;
                Tensor noise = torch.randn(weight.shape, generator: generator) * (sigma > 0 ? sigma : 0.01);
                weight.copy_(noise.to(weight.dtype).to(weight.device));
                saved.Add((weight, original));
            }
        }
        return new Restore(saved);
    }

    private sealed class Restore(List<(Tensor Weight, Tensor Original)> saved) : IDisposable
    {
        public void Dispose()
        {
            using IDisposable noGrad = torch.no_grad();
            // Reverse order: a tensor shared by two groups was saved twice, its true original first.
            for (int i = saved.Count - 1; i >= 0; i--)
            {
                saved[i].Weight.copy_(saved[i].Original);
                saved[i].Original.Dispose();
            }
            saved.Clear();
        }
    }
}
