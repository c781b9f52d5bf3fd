using System.Diagnostics;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Metrics;

/// <summary>
/// The one place the metrics run the model: a stack of perturbed inputs in, the class's softmax probability for each
/// out, in chunks paced by <see cref="ForwardPacing"/> (progress, cancellation, the yield to other sessions).
/// </summary>
/// <remarks>
/// A chunk holds at least <see cref="MinChunk"/> inputs: the metrics' inputs are built as one stack, and on a CPU a
/// batch of 8 runs faster per input than 8 single passes, while still holding other sessions up for well under a second.
/// </remarks>
public sealed class ProbabilityScorer
{
    /// <summary>The smallest chunk of perturbed inputs per forward pass.</summary>
    public const int MinChunk = 8;

    private readonly ICamModel _model;
    private readonly string _layer;
    private readonly ForwardPacing _pacing;
    private readonly CancellationToken _cancellationToken;

    /// <param name="model">The model scored.</param>
    /// <param name="layer">Any capturable layer of it (a forward pass captures one).</param>
    /// <param name="pacing">Chunks, progress and the yield between chunks.</param>
    /// <param name="cancellationToken">Observed before every chunk.</param>
    public ProbabilityScorer(ICamModel model, string layer, ForwardPacing pacing, CancellationToken cancellationToken)
    {
        _model = model;
        _layer = layer;
        _pacing = pacing;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The model scored.</summary>
    public ICamModel Model => _model;

    /// <summary>Softmax probability of <paramref name="classIndex"/> for each of <paramref name="inputs"/> (M×C×H×W on the model's device).</summary>
    public double[] Probabilities(Tensor inputs, long classIndex)
    {
        long count = inputs.shape[0];
        var result = new double[count];
        for (long start = 0; start < count;)
        {
            int size = (int)Math.Min(count - start, Math.Min(_model.MaxBatchSize, Math.Max(MinChunk, _pacing.NextChunkSize(count - start))));
            _pacing.BeforeChunk(_cancellationToken);
            long started = Stopwatch.GetTimestamp();
            using (DisposeScope scope = torch.NewDisposeScope())
            using (torch.no_grad())
            {
                using ModelRun run = _model.Run(inputs.narrow(0, start, size), _layer, trackGradients: false);
                float[] p = run.Logits.to(ScalarType.Float32).softmax(1).select(1, classIndex).cpu().data<float>().ToArray();
                for (int i = 0; i < size; i++)
                    result[start + i] = p[i];
            }
            _pacing.AfterChunk(size, Stopwatch.GetElapsedTime(started));
            start += size;
        }
        return result;
    }
}
