using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Finds graphs that only run one photo at a time: a declared input whose batch axis is a fixed 1, or a graph that
/// fails (or stops returning one row per photo) on a batch of two, e.g. a Reshape to [-1] that folds the batch into
/// the features. Such a model is run photo by photo instead of failing on the studio's batches.
/// </summary>
internal static class OnnxBatchProbe
{
    /// <summary>1 for a batch-1-only graph, else <see cref="int.MaxValue"/>. Runs a batch of two under twice the probe budget.</summary>
    public static int MaxBatchSize(OnnxGraphModule graph, Tensor probeOfOne, long probeMemoryBytes)
    {
        if (graph.Input.Shape is [1, ..])
            return 1;
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        // Two different photos, so a graph that mixes the batch rows cannot pass by accident.
        Tensor two = torch.cat([probeOfOne, probeOfOne.flip(3)], 0);
        try
        {
            var budget = new OnnxMemoryBudget(probeMemoryBytes > long.MaxValue / 2 ? long.MaxValue : 2 * probeMemoryBytes);
            using GraphRun run = graph.Execute(two, capture: null, gradientsFromCapture: false, budget: budget);
            return run.Output.dim() >= 1 && run.Output.shape[0] == 2 ? int.MaxValue : 1;
        }
        catch (OnnxImportException)
        {
            return 1;
        }
    }
}
