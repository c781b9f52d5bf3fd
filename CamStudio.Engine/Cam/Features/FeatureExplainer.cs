using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Features;

/// <summary>
/// <see cref="CamExplainer"/> with the request-wide features around it: each layer explained (six augmented copies
/// per photo in one batch with aug_smooth), the layers fused, and guided backpropagation for every explained class.
/// Call on the torch thread.
/// </summary>
internal static class FeatureExplainer
{
    /// <summary>Most augmented copies in one batch (8 photos × 6): bounds the memory aug_smooth adds.</summary>
    private const int MaxAugmentedBatch = 48;

    public static IReadOnlyList<PhotoExplanation> Explain(ICamModel model, Tensor batch, IReadOnlyList<ICamMethod> methods,
        ExplainFeatures features, ClassSelection classes, ForwardPacing? pacing, CancellationToken cancellationToken, out TimeSpan forwardTime)
    {
        forwardTime = TimeSpan.Zero;
        var perLayer = new List<IReadOnlyList<PhotoExplanation>>(features.Layers.Count);
        foreach (string layer in features.Layers)
        {
            TimeSpan forward;
            perLayer.Add(features.AugSmooth
                ? ExplainAugmented(model, batch, methods, layer, classes, pacing, cancellationToken, out forward)
                : CamExplainer.Explain(model, batch, methods, layer, classes, pacing, cancellationToken, out forward));
            forwardTime += forward;
        }
        var eigen = methods.OfType<EigenSmoothed>().Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var result = new PhotoExplanation[perLayer[0].Count];
        for (int i = 0; i < result.Length; i++)
        {
            IReadOnlyList<ClassMap> first = perLayer[0][i].Maps;
            var maps = new List<ClassMap>(first.Count);
            for (int j = 0; j < first.Count; j++)
            {
                ClassMap m = first[j];
                var making = new MapMaking(features.IsFused ? features.Layers : [], features.IsFused ? features.Fusion : null,
                    features.AugSmooth, eigen.Contains(m.Method));
                maps.Add(features.IsFused
                    ? new ClassMap(m.Method, m.ClassIndex, m.ClassName, string.Join("+", features.Layers),
                        LayerFusions.Fuse(perLayer.Select(l => l[i].Maps[j].Map).ToList(), features.Fusion)) { Making = making }
                    : m with { Making = making });
            }
            result[i] = new PhotoExplanation(perLayer[0][i].TopPredictions, maps);
        }
        return features.Guided ? WithGuided(model, batch, methods.Count, result, cancellationToken) : result;
    }

    private static IReadOnlyList<PhotoExplanation> ExplainAugmented(ICamModel model, Tensor batch, IReadOnlyList<ICamMethod> methods,
        string layer, ClassSelection classes, ForwardPacing? pacing, CancellationToken cancellationToken, out TimeSpan forwardTime)
    {
        int photos = checked((int)batch.shape[0]), transforms = AugmentationSmoothing.Transforms.Count;
        forwardTime = TimeSpan.Zero;
        var result = new List<PhotoExplanation>(photos);
        int group = Math.Max(1, Math.Min(photos, Math.Min(MaxAugmentedBatch, model.MaxBatchSize) / transforms));
        bool oneBatch = model.MaxBatchSize >= transforms;
        for (int start = 0; start < photos; start += group)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            int g = Math.Min(group, photos - start);
            Tensor augmented = AugmentationSmoothing.Augment(batch.narrow(0, start, g));
            IReadOnlyList<PhotoExplanation> explained;
            if (oneBatch)
            {
                explained = CamExplainer.Explain(model, augmented, methods, layer, classes, pacing, cancellationToken, out TimeSpan forward,
                    classesFrom: i => AugmentationSmoothing.Identity * g + i % g);
                forwardTime += forward;
            }
            else
            {
                explained = ExplainCopyByCopy(model, augmented, methods, layer, classes, pacing, cancellationToken, ref forwardTime);
            }
            for (int i = 0; i < g; i++)
            {
                PhotoExplanation identity = explained[AugmentationSmoothing.Identity * g + i];
                var maps = identity.Maps.Select((m, j) => m with
                {
                    Map = AugmentationSmoothing.Fold(Enumerable.Range(0, transforms).Select(t => explained[t * g + i].Maps[j].Map).ToList()),
                }).ToList();
                result.Add(new PhotoExplanation(identity.TopPredictions, maps));
            }
        }
        return result;
    }

    /// <summary>
    /// For a model that takes one photo at a time: each original's identity copy first (its classes), then the other
    /// copies explaining those classes.
    /// </summary>
    private static PhotoExplanation[] ExplainCopyByCopy(ICamModel model, Tensor augmented, IReadOnlyList<ICamMethod> methods, string layer,
        ClassSelection classes, ForwardPacing? pacing, CancellationToken cancellationToken, ref TimeSpan forwardTime)
    {
        int copies = checked((int)augmented.shape[0]), g = copies / AugmentationSmoothing.Transforms.Count;
        var explained = new PhotoExplanation[copies];
        for (int i = 0; i < g; i++)
        {
            int identity = AugmentationSmoothing.Identity * g + i;
            explained[identity] = CamExplainer.Explain(model, augmented.narrow(0, identity, 1), methods, layer, classes, pacing,
                cancellationToken, out TimeSpan forward)[0];
            forwardTime += forward;
            var same = new ClassSelection.Indices(explained[identity].Maps.Where((_, j) => j % methods.Count == 0).Select(m => m.ClassIndex).ToArray());
            for (int t = 0; t < AugmentationSmoothing.Transforms.Count; t++)
            {
                if (t == AugmentationSmoothing.Identity)
                    continue;
                explained[t * g + i] = CamExplainer.Explain(model, augmented.narrow(0, t * g + i, 1), methods, layer, same, pacing,
                    cancellationToken, out forward)[0];
                forwardTime += forward;
            }
        }
        return explained;
    }

    private static IReadOnlyList<PhotoExplanation> WithGuided(ICamModel model, Tensor batch, int methodCount, PhotoExplanation[] explained,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var taping = (IRectifierTaping)model;
        int photos = explained.Length, ranks = explained[0].Maps.Count / methodCount;
        int height = (int)batch.shape[2], width = (int)batch.shape[3];
        var guided = new List<GuidedGradient>[photos];
        for (int i = 0; i < photos; i++)
            guided[i] = [];
        int slice = Math.Max(1, Math.Min(photos, model.MaxBatchSize));
        for (int start = 0; start < photos; start += slice)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            int count = Math.Min(slice, photos - start);
            var classesPerRank = Enumerable.Range(0, ranks)
                .Select(r => Enumerable.Range(start, count).Select(i => (long)explained[i].Maps[r * methodCount].ClassIndex).ToArray()).ToList();
            Tensor[] gradients = GuidedBackprop.InputGradients(taping, batch.narrow(0, start, count), classesPerRank);
            for (int r = 0; r < ranks; r++)
            {
                float[] values = gradients[r].to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
                int size = 3 * height * width;
                for (int k = 0; k < count; k++)
                {
                    ClassMap map = explained[start + k].Maps[r * methodCount];
                    guided[start + k].Add(new GuidedGradient(map.ClassIndex, map.ClassName, width, height, values.AsSpan(k * size, size).ToArray()));
                }
            }
        }
        return explained.Select((e, i) => e with { Guided = guided[i] }).ToArray();
    }
}
