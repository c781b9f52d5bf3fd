using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;
using CamStudio.Engine.Maps;

namespace CamStudio.Engine.Cam;

/// <summary>
/// Explains a batch of photos: one forward pass, the top predictions, and for each class rank one partial
/// backward shared by every gradient method. Call on the torch thread.
/// </summary>
public static class CamExplainer
{
    /// <summary>How many predictions each <see cref="PhotoExplanation"/> lists.</summary>
    public const int TopPredictionCount = 5;

    /// <summary>
    /// Explains <paramref name="batch"/> (N×3×H×W, preprocessed for <paramref name="model"/>, on its device).
    /// Returns one explanation per photo; its maps are ordered class rank first, then methods in request order.
    /// </summary>
    /// <remarks>
    /// Photos in a batch are independent in eval mode, so for class rank r the gradient of
    /// Σ_i logits[i, c_i(r)] with respect to the activation holds every photo's own ∂y_c/∂A: one partial backward
    /// (from the captured layer to the logits) per rank serves all photos and all gradient methods.
    /// Class-agnostic methods (Eigen-CAM) are computed once per photo and listed under every class.
    /// <paramref name="cancellationToken"/> is observed between class ranks and between the extra forward passes
    /// of Score-CAM and Ablation-CAM.
    /// </remarks>
    public static IReadOnlyList<PhotoExplanation> Explain(
        ICamModel model, Tensor batch, ExplainRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(request);
        if (batch.dim() != 4 || batch.shape[0] == 0)
            throw new ArgumentException($"A batch must be N×3×H×W with N ≥ 1, got shape {string.Join("×", batch.shape)}.", nameof(batch));
        if (batch.shape[0] > model.MaxBatchSize)
            return ExplainInSlices(model, batch, request, cancellationToken);

        IReadOnlyList<ICamMethod> methods = ResolveMethods(request.Methods);
        string layer = LayerNames.Resolve(model, request.Layer);
        LayerInfo layerInfo = model.Layers.First(l => l.Name == layer);
        if (!layerInfo.IsMap)
            throw new ArgumentException(
                $"Layer '{layer}' of model '{model.Name}' outputs {layerInfo.ShapeText}; class activation maps need a " +
                "4-D N×C×H×W activation or a token grid. Pick a convolutional or token-grid layer (or \"auto\").");
        foreach (ICamMethod method in methods)
        {
            if (MethodApplicability.WhyNot(method, model, layer) is { } reason)
                throw new ArgumentException(reason);
        }
        return Explain(model, batch, methods, layer, request.Classes, pacing: null, cancellationToken, out _);
    }

    /// <summary>
    /// The explanation itself, for resolved and checked arguments (the engine's plan): <paramref name="layer"/> a 4-D
    /// layer of <paramref name="model"/>, every method applicable there. <paramref name="forwardTime"/>: the model's
    /// forward pass (the rest is the methods' time). <paramref name="classesFrom"/>: for top-K selections, whose top
    /// classes photo i explains (default: its own).
    /// </summary>
    internal static IReadOnlyList<PhotoExplanation> Explain(
        ICamModel model, Tensor batch, IReadOnlyList<ICamMethod> methods, string layer, ClassSelection classSelection,
        ForwardPacing? pacing, CancellationToken cancellationToken, out TimeSpan forwardTime, Func<int, int>? classesFrom = null)
    {
        LinearHead? head = methods.Any(m => m.NeedsHead) ? model.HeadAfter(layer) : null;
        int classCount = model.Labels.Count;
        int ranks = CountRanks(classSelection, classCount);
        bool trackGradients = methods.Any(m => m.NeedsGradients);
        bool hessian = methods.Any(m => m.Requirements.HasFlag(MethodRequirements.HessianVectorProduct));
        bool fromInput = methods.Any(m => m.Requirements.HasFlag(MethodRequirements.BiasGradients));
        bool attention = methods.Any(m => m.Requirements.HasFlag(MethodRequirements.AttentionGradients));

        cancellationToken.ThrowIfCancellationRequested();
        using DisposeScope scope = torch.NewDisposeScope();
        if (batch.device_type != model.Device.type || (model.Device.index >= 0 && batch.device_index != model.Device.index))
            batch = batch.to(model.Device);
        long forwardStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        using ModelRun run = fromInput
            ? (model as IBiasGradientModel ?? throw new ArgumentException($"Model '{model.Name}' cannot record from its input.")).RunFromInput(batch, layer)
            : model.Run(batch, layer, trackGradients);
        forwardTime = System.Diagnostics.Stopwatch.GetElapsedTime(forwardStarted);
        // LeGrad's blocks need autograd from every attention softmax on: a run of their own.
        using AttentionBlocksRun? attentionRun = attention
            ? (model as IAttentionBlocksModel ?? throw new ArgumentException($"Model '{model.Name}' has no attention blocks to score.")).RunAttentionBlocks(batch)
            : null;
        using ExtraForwards? forwards = methods.Any(m => m.NeedsExtraForwards)
            ? new ExtraForwards(model, batch, layer, cancellationToken, pacing)
            : null;
        int photos = checked((int)run.Logits.shape[0]);
        Tensor activation = run.Activation;
        Tensor activationValues = activation.detach();

        (float[] topProbabilities, long[] topClasses, int topWidth) = TopClasses(run.Logits, Math.Max(TopPredictionCount, ranks));
        var explanations = new (List<Prediction> Top, List<ClassMap> Maps)[photos];
        for (int i = 0; i < photos; i++)
        {
            var top = new List<Prediction>();
            for (int j = 0; j < Math.Min(TopPredictionCount, classCount); j++)
            {
                int c = (int)topClasses[i * topWidth + j];
                top.Add(new Prediction(c, model.Labels[c], topProbabilities[i * topWidth + j]));
            }
            explanations[i] = (top, new List<ClassMap>());
        }

        var classAgnostic = new Dictionary<string, CamMap[]>(StringComparer.Ordinal);
        for (int rank = 0; rank < ranks; rank++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using DisposeScope rankScope = torch.NewDisposeScope();
            long[] classes = new long[photos];
            for (int i = 0; i < photos; i++)
            {
                classes[i] = classSelection switch
                {
                    // classesFrom: a photo explaining another's top classes (an augmented copy, its original's).
                    ClassSelection.TopK => topClasses[(classesFrom?.Invoke(i) ?? i) * topWidth + rank],
                    ClassSelection.Indices indices => indices.Classes[rank],
                    _ => throw new ArgumentException($"Unknown class selection {classSelection}."),
                };
            }
            Tensor classIndices = torch.tensor(classes, device: run.Logits.device);
            Dictionary<string, Tensor> ownGradients = OwnScoreGradients(methods, run, classIndices);
            Tensor? gradients = null, hessianVectorProduct = null;
            FullGradients? fullGradients = null;
            if (trackGradients)
                (gradients, hessianVectorProduct, fullGradients) = ClassGradients.Of(run, classIndices, hessian, fromInput, retainGraph: rank < ranks - 1);
            AttentionGradients? attentionGradients = attentionRun is null ? null : AttentionGradients.Of(attentionRun, classIndices, retainGraph: rank < ranks - 1);
            var inputs = new CamInputs(activationValues, gradients, classIndices, head, forwards, hessianVectorProduct, fullGradients, attentionGradients);

            using IDisposable noGrad = torch.no_grad();
            foreach (ICamMethod method in methods)
            {
                CamInputs methodInputs = ownGradients.TryGetValue(method.Id, out Tensor? own) ? inputs with { Gradients = own } : inputs;
                CamMap[] maps;
                if (method.IsClassSpecific)
                    maps = ToCamMaps(method.Compute(methodInputs));
                else if (!classAgnostic.TryGetValue(method.Id, out maps!))
                    classAgnostic[method.Id] = maps = ToCamMaps(method.Compute(methodInputs));
                for (int i = 0; i < photos; i++)
                {
                    int c = (int)classes[i];
                    explanations[i].Maps.Add(new ClassMap(method.Id, c, model.Labels[c], layer, maps[i]));
                }
            }
        }
        return explanations.Select(e => new PhotoExplanation(e.Top, e.Maps)).ToArray();
    }

    /// <summary>
    /// Explains decoded photos: preprocessed for <paramref name="model"/> (<see cref="ICamModel.Preprocessing"/>) into
    /// one batch on its device, then as <see cref="Explain(ICamModel, Tensor, ExplainRequest, CancellationToken)"/>. Maps are at the
    /// layer's resolution over the model's input (see <see cref="PhotoPreprocessor.Resize"/> for what that covers).
    /// </summary>
    public static IReadOnlyList<PhotoExplanation> Explain(
        ICamModel model, IReadOnlyList<Image<Rgb24>> photos, ExplainRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(photos);
        if (photos.Count == 0)
            throw new ArgumentException("No photo to explain.");
        using DisposeScope scope = torch.NewDisposeScope();
        Tensor batch = PhotoPreprocessor.ToBatch(photos, model.Preprocessing, model.Device);
        return Explain(model, batch, request, cancellationToken);
    }

    /// <summary>A model that runs one photo at a time (<see cref="ICamModel.MaxBatchSize"/>) explains a batch slice by slice.</summary>
    private static IReadOnlyList<PhotoExplanation> ExplainInSlices(ICamModel model, Tensor batch, ExplainRequest request, CancellationToken cancellationToken)
    {
        var explanations = new List<PhotoExplanation>();
        for (long start = 0; start < batch.shape[0]; start += model.MaxBatchSize)
        {
            using DisposeScope scope = torch.NewDisposeScope();
            long count = Math.Min(model.MaxBatchSize, batch.shape[0] - start);
            explanations.AddRange(Explain(model, batch.narrow(0, start, count), request, cancellationToken));
        }
        return explanations;
    }

    /// <summary>∂(Σ_i score_i)/∂A for each method with its own score (<see cref="IOwnClassScore"/>): one partial backward each, before the shared one.</summary>
    private static Dictionary<string, Tensor> OwnScoreGradients(IReadOnlyList<ICamMethod> methods, ModelRun run, Tensor classIndices)
    {
        var gradients = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (ICamMethod method in methods)
        {
            if (method is not IOwnClassScore own)
                continue;
            Tensor score = own.Score(run.Logits, classIndices).sum();
            gradients[method.Id] = torch.autograd.grad([score], [run.Activation], retain_graph: true)[0].detach();
        }
        return gradients;
    }

    private static IReadOnlyList<ICamMethod> ResolveMethods(IReadOnlyList<string> ids)
    {
        if (ids is null || ids.Count == 0)
            throw new ArgumentException($"No CAM method requested. Valid methods: {string.Join(", ", CamMethods.Ids)}.");
        return ids.Select(CamMethods.Get).DistinctBy(m => m.Id).ToArray();
    }

    private static int CountRanks(ClassSelection selection, int classCount)
    {
        switch (selection)
        {
            case ClassSelection.TopK topK:
                if (topK.K < 1 || topK.K > classCount)
                    throw new ArgumentException($"Top-K needs 1 ≤ K ≤ {classCount} (the model's classes), got {topK.K}.");
                return topK.K;
            case ClassSelection.Indices indices:
                if (indices.Classes is null || indices.Classes.Count == 0)
                    throw new ArgumentException("No class index given.");
                foreach (int c in indices.Classes)
                {
                    if (c < 0 || c >= classCount)
                        throw new ArgumentException($"Class index {c} is out of range: the model has classes 0–{classCount - 1}.");
                }
                return indices.Classes.Count;
            default:
                throw new ArgumentException("A class selection is required (TopK or Indices).");
        }
    }

    private static (float[] Probabilities, long[] Classes, int Width) TopClasses(Tensor logits, int count)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        int width = (int)Math.Min(count, logits.shape[1]);
        (Tensor values, Tensor indices) = logits.detach().softmax(1).topk(width, dim: 1);
        return (values.cpu().data<float>().ToArray(), indices.cpu().data<long>().ToArray(), width);
    }

    private static CamMap[] ToCamMaps(Tensor maps)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        int photos = (int)maps.shape[0], height = (int)maps.shape[1], width = (int)maps.shape[2];
        float[] values = maps.to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        var result = new CamMap[photos];
        int size = height * width;
        for (int i = 0; i < photos; i++)
            result[i] = new CamMap(width, height, values.AsSpan(i * size, size).ToArray());
        return result;
    }
}
