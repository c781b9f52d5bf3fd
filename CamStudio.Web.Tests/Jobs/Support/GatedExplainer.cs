using CamStudio.Engine.Cam;
using CamStudio.Web.Jobs;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// Wraps the app's explainer (the real engine) so a test can hold the runner before each batch and see which photos
/// were explained. Nothing is computed differently: every batch goes to the wrapped explainer.
/// </summary>
public sealed class GatedExplainer : IPhotoBatchExplainer
{
    private readonly SemaphoreSlim _batches = new(0);
    private readonly List<string> _explained = [];
    private volatile bool _closed;

    public IPhotoBatchExplainer? Inner { get; set; }

    private IPhotoBatchExplainer Explainer => Inner ?? throw new InvalidOperationException("The gated explainer has nothing to wrap yet.");

    /// <summary>From now on every batch waits for a <see cref="Release"/>.</summary>
    public void Close() => _closed = true;

    public void Release(int batches = 1) => _batches.Release(batches);

    public IReadOnlyList<string> Explained
    {
        get
        {
            lock (_explained)
                return [.. _explained];
        }
    }

    public Task<PreparedJob> PrepareAsync(JobSettings settings, string owner, CancellationToken cancellationToken) =>
        Explainer.PrepareAsync(settings, owner, cancellationToken);

    public async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, IProgress<ExplainProgress>? progress,
        CancellationToken cancellationToken)
    {
        if (_closed)
            await _batches.WaitAsync(cancellationToken);
        var outcomes = await Explainer.ExplainBatchAsync(job, photoPaths, progress, cancellationToken);
        lock (_explained)
            _explained.AddRange(photoPaths);
        return outcomes;
    }
}
