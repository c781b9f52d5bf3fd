using CamStudio.Engine.Cam;
using CamStudio.Web.Jobs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// A stand-in for the engine while it is not on main: decodes each photo for real (ImageSharp) and makes a 7×7
/// "map" of block luminance, with the "class" = index of the brightest of 10 luminance bands. It exercises the job
/// machinery (batches, files, rows, progress) without claiming anything about CAM numbers.
/// </summary>
public sealed class SyntheticPhotoExplainer : IPhotoBatchExplainer
{
    public static readonly string[] Labels = [.. Enumerable.Range(0, 10).Select(i => $"band {i}, \"luma\"")];

    public Task<PreparedJob> PrepareAsync(JobSettings settings, CancellationToken cancellationToken)
    {
        foreach (string method in settings.Methods)
            if (method is not ("gradcam" or "cam"))
                throw new JobInputException($"Unknown CAM method '{method}' (known: cam, gradcam).");
        return Task.FromResult(new PreparedJob("synthetic", new string('0', 64), "blocks", settings.Methods, ClassSelection.Top1, Labels));
    }

    public Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<PhotoOutcome>>(() => [.. photoPaths.Select(path => Explain(job, path))], cancellationToken);

    private static PhotoOutcome Explain(PreparedJob job, string path)
    {
        Image<Rgb24> image;
        try
        {
            image = Image.Load<Rgb24>(path);
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            return new PhotoOutcome.Failed($"{Path.GetFileName(path)} is not a photo that can be decoded: {ex.Message}");
        }
        using (image)
        {
            using var small = image.Clone(c => c.Resize(7, 7));
            var raw = new float[49];
            double total = 0;
            for (int y = 0; y < 7; y++)
                for (int x = 0; x < 7; x++)
                {
                    Rgb24 p = small[x, y];
                    raw[y * 7 + x] = (0.299f * p.R + 0.587f * p.G + 0.114f * p.B) / 255f;
                    total += raw[y * 7 + x];
                }
            int cls = Math.Min(9, (int)(total / 49 * 10));
            var prediction = new Prediction(cls, Labels[cls], 0.5f + cls / 20f);
            var maps = job.Methods.Select(m => new ClassMap(m, cls, Labels[cls], job.Layer, new CamMap(7, 7, raw))).ToList();
            using var thumb = image.Clone(c => c.Resize(32, 32));
            using var memory = new MemoryStream();
            thumb.SaveAsPng(memory);
            byte[] png = memory.ToArray();
            return new PhotoOutcome.Explained(new PhotoExplanation([prediction], maps), [.. maps.Select(_ => png)], png);
        }
    }
}

/// <summary>Wraps an explainer so a test can hold the runner before each batch and see which photos were explained.</summary>
public sealed class GatedExplainer(IPhotoBatchExplainer inner) : IPhotoBatchExplainer
{
    private readonly SemaphoreSlim _batches = new(0);
    private readonly List<string> _explained = [];
    private volatile bool _closed;

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

    public Task<PreparedJob> PrepareAsync(JobSettings settings, CancellationToken cancellationToken) => inner.PrepareAsync(settings, cancellationToken);

    public async Task<IReadOnlyList<PhotoOutcome>> ExplainBatchAsync(PreparedJob job, IReadOnlyList<string> photoPaths, CancellationToken cancellationToken)
    {
        if (_closed)
            await _batches.WaitAsync(cancellationToken);
        var outcomes = await inner.ExplainBatchAsync(job, photoPaths, cancellationToken);
        lock (_explained)
            _explained.AddRange(photoPaths);
        return outcomes;
    }
}
