using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine;

/// <summary>What <see cref="CamEngine.ConceptsAsync"/> is asked: a photo split into concepts (Deep Feature Factorization).</summary>
public sealed record ConceptRequest
{
    /// <summary>Model name; null: the engine's default model.</summary>
    public string? Model { get; init; }

    /// <summary>Layer name or "auto"; null: the model's default layer.</summary>
    public string? Layer { get; init; }

    /// <summary>How many concepts (K), 1 to <see cref="DeepFeatureFactorization.MaxConcepts"/>.</summary>
    public int Concepts { get; init; } = 5;

    /// <summary>How many classes to name per concept (0 to 5).</summary>
    public int ClassesPerConcept { get; init; } = 2;

    /// <summary>Which queue the work waits in.</summary>
    public WorkPriority Priority { get; init; } = WorkPriority.Interactive;

    /// <summary>Who asks (for fair scheduling).</summary>
    public string Owner { get; init; } = "";
}

/// <summary>A photo's concepts: each a map placed on the photo and the classes the head gives it.</summary>
/// <param name="ModelName">The model.</param>
/// <param name="Layer">The factorised layer.</param>
/// <param name="Concepts">The concepts in factorisation order.</param>
public sealed record ConceptExplanation(string ModelName, string Layer, IReadOnlyList<PlacedConcept> Concepts)
{
    /// <summary>One legend line per concept, e.g. "1: tabby 62%, tiger cat 20%".</summary>
    public IReadOnlyList<string> Legend => Concepts.Select(c => $"{c.Index + 1}: " + (c.TopClasses.Count == 0 ? "(no linear head to name it)"
        : string.Join(", ", c.TopClasses.Select(p => $"{p.ClassName} {p.Probability * 100:0}%")))).ToArray();

    /// <summary>The picture: coloured regions on <paramref name="photo"/> (the photo explained) and the legend.</summary>
    public Image<Rgb24> Render(Image<Rgb24> photo) => ConceptPicture.Render(photo, Concepts.Select((c, i) => (c.Map, Legend[i])).ToList());

    /// <summary>The coloured regions alone, at <paramref name="photo"/>'s size, for a page that draws the legend itself.</summary>
    public Image<Rgb24> RenderRegions(Image<Rgb24> photo) => ConceptPicture.RenderRegions(photo, Concepts.Select(c => c.Map).ToList());
}

/// <summary>One concept placed on its photo.</summary>
/// <param name="Index">0-based.</param>
/// <param name="Map">Its map and where it belongs.</param>
/// <param name="TopClasses">The classes it scores highest (softmax of the head on its channel profile).</param>
public sealed record PlacedConcept(int Index, PlacedMap Map, IReadOnlyList<Prediction> TopClasses);

public sealed partial class CamEngine
{
    /// <summary>
    /// Splits <paramref name="photo"/> into concepts by Deep Feature Factorization at the request's layer. Errors are
    /// <see cref="CamRequestException"/>s naming the field (model, layer, or "concepts" for K).
    /// </summary>
    public async Task<ConceptExplanation> ConceptsAsync(ConceptRequest request, Image<Rgb24> photo, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckPhotos([photo]);
        (ResolvedModel m, LayerInfo layer) = await ResolveConceptsAsync(request, cancellationToken).ConfigureAwait(false);
        PreprocessingSpec spec = m.Model.Preprocessing;
        using Image<Rgb24> input = await Task.Run(() => PhotoPreprocessor.Resize(photo, spec), cancellationToken).ConfigureAwait(false);
        MapPlacement placement = PhotoPreprocessor.Placement(photo.Width, photo.Height, spec);
        IReadOnlyList<Concept> concepts = await _executor.RunAsync(_ =>
        {
            using DisposeScope scope = torch.NewDisposeScope();
            Tensor batch = PhotoPreprocessor.ToBatch([input], spec, m.Model.Device);
            using ModelRun run = m.Model.Run(batch, layer.Name, trackGradients: false);
            LinearHead? head = request.ClassesPerConcept > 0 ? m.Model.HeadAfter(layer.Name) : null;
            return DeepFeatureFactorization.Explain(run.Activation, request.Concepts, head, m.Model.Labels, request.ClassesPerConcept)[0];
        }, request.Priority, request.Owner, WorkCost.Quick, cancellationToken).ConfigureAwait(false);
        return new ConceptExplanation(m.Name, layer.Name, concepts.Select(c =>
            new PlacedConcept(c.Index, new PlacedMap(c.Map, placement, spec.InputWidth, spec.InputHeight), c.TopClasses)).ToList());
    }

    /// <summary>
    /// Checks <paramref name="request"/> as <see cref="ConceptsAsync"/> does, without a photo (a batch job checks its
    /// concepts before its photos are queued). Returns the layer that will be factorised; errors as <see cref="ConceptsAsync"/>'s.
    /// </summary>
    public async Task<string> CheckConceptsAsync(ConceptRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        (_, LayerInfo layer) = await ResolveConceptsAsync(request, cancellationToken).ConfigureAwait(false);
        return layer.Name;
    }

    private async Task<(ResolvedModel Model, LayerInfo Layer)> ResolveConceptsAsync(ConceptRequest request, CancellationToken cancellationToken)
    {
        if (request.Concepts < 1 || request.Concepts > DeepFeatureFactorization.MaxConcepts)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, ConceptFields.Concepts,
                $"Concepts must be from 1 to {DeepFeatureFactorization.MaxConcepts}, got {request.Concepts}.");
        if (request.ClassesPerConcept < 0 || request.ClassesPerConcept > 5)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, ConceptFields.Concepts,
                $"Classes per concept must be from 0 to 5, got {request.ClassesPerConcept}.");
        ResolvedModel m = await ResolveModelAsync(request.Model, cancellationToken).ConfigureAwait(false);
        LayerInfo layer = ResolveLayer(m, request.Layer);
        if (request.Concepts > layer.Shape[1])
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, ConceptFields.Concepts,
                $"Layer '{layer.Name}' has {layer.Shape[1]} channels; ask for at most that many concepts.");
        return (m, layer);
    }
}

/// <summary>The field <see cref="CamEngine.ConceptsAsync"/> names for a bad concept count.</summary>
public static class ConceptFields
{
    /// <summary>K, the number of concepts (and classes per concept).</summary>
    public const string Concepts = "concepts";
}
