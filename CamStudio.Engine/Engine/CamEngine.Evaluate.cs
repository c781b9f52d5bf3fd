using System.Diagnostics;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Metrics;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine;

/// <summary>Faithfulness metrics, sanity checks, baselines and the layer × method recommender (issue 10), on the engine's one request path.</summary>
public sealed partial class CamEngine
{
    /// <summary>Baseline scores answered from the cache since the engine started (<see cref="BaselineScoreCache"/>).</summary>
    internal long BaselineScoreHits => _baselineScores.Hits;

    /// <summary>
    /// Explains <paramref name="photos"/> as <see cref="ExplainAsync(CamRequest, IReadOnlyList{Image{Rgb24}}, IProgress{ExplainProgress}?, CancellationToken)"/>
    /// does and scores every map (and the baselines, when asked) with the requested metrics, on the torch thread as long
    /// work: all perturbed inputs of a map built as one stack, scored in paced chunks (progress, cancellation, other
    /// sessions' quick work between chunks). Bad settings (unknown metric, steps ≤ 0, a box outside a photo, sanity
    /// checks on a model that cannot re-initialise its weights) are a <see cref="CamRequestException"/> before any torch work.
    /// </summary>
    public async Task<EngineEvaluation> EvaluateAsync(EvaluateRequest request, IReadOnlyList<Image<Rgb24>> photos,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckPhotos(photos);
        long started = Stopwatch.GetTimestamp();
        Unchecked plan = await ResolveAsync(request.Request ?? new CamRequest(), cancellationToken).ConfigureAwait(false);
        MetricOptions options = CheckMetrics(request, plan.Model);
        PreprocessingSpec spec = plan.Model.Model.Preprocessing;
        InputBox?[] boxes = photos.Select(p => InputBoxOf(request.Box, p.Width, p.Height, spec)).ToArray();

        IReadOnlyList<PhotoEvaluation> evaluated = await RunScoredAsync(plan.Model, spec, photos, progress, plan.Request,
            forwards: EvaluationForwards(plan, options, request.Baselines, photos.Count),
            (model, input, photo, probabilities, pacing, scorer, token) =>
            {
                if (photo == 0)
                    _ = plan.Check(TimeSpan.Zero); // the applicability check may run the model: on the torch thread
                MetricOptions photoOptions = options with { Box = boxes[photo] };
                return ScorePhoto(model, input, [(plan.Layer.Name, plan.Methods)], plan.Classes, probabilities, request.Baselines ? _baselineScores : null,
                    photoOptions, scorer, pacing, token);
            }, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> metrics = MetricNames.All.Where(options.Has).Where(m => m != MetricNames.Pointing || request.Box is not null).ToList();
        return new EngineEvaluation(plan.Model.Name, plan.Layer.Name, metrics, evaluated, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Sweeps methods × layers on <paramref name="photos"/> and ranks every pair, with the baselines, by the request's
    /// score (means over photos and classes). Per photo and layer: one forward pass and one partial backward per class
    /// shared by every gradient method (<see cref="CamExplainer"/>), then deletion and insertion of every map, all
    /// perturbed inputs stacked and scored in paced chunks.
    /// </summary>
    public async Task<EngineRecommendation> RecommendAsync(RecommendRequest request, IReadOnlyList<Image<Rgb24>> photos,
        IProgress<ExplainProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckPhotos(photos);
        long started = Stopwatch.GetTimestamp();
        CamRequest camRequest = request.Request ?? new CamRequest();
        ResolvedModel m = await ResolveModelAsync(camRequest.Model, cancellationToken).ConfigureAwait(false);
        if (request.LastLayers < 0 || request.LastLayers > EvaluationLimits.MaxLayers)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Layers,
                $"The sweep takes the last 0–{EvaluationLimits.MaxLayers} spatial layers, got {request.LastLayers}.");
        List<LayerInfo> layers = SweepLayers(m, request, camRequest.Layer);
        var metrics = new List<string> { MetricNames.Deletion, MetricNames.Insertion };
        if (request.Score == RecommendScore.RoadCombined)
            metrics.Add(MetricNames.Road);
        MetricOptions options = CheckMetrics(new EvaluateRequest { Metrics = metrics, Steps = request.Steps, Baseline = request.Baseline, Seed = request.Seed }, m);

        // Methods: every fast registered method, plus the ones asked for (slow ones too), each where it applies.
        IReadOnlyList<ICamMethod> extra = camRequest.Methods.Count > 0 || camRequest.MethodObjects.Count > 0 ? ResolveMethods(camRequest) : [];
        IReadOnlyList<ICamMethod> fast = WithOptions(Methods.All.Where(x => !x.NeedsExtraForwards).ToList(), new Dictionary<string, string>());
        List<ICamMethod> candidates = fast.Concat(extra).DistinctBy(x => x.Id, StringComparer.OrdinalIgnoreCase).ToList();
        ClassSelection classes = ResolveClasses(m, camRequest);
        int ranks = RankCount(classes);
        int positions = m.Model.Preprocessing.InputWidth * m.Model.Preprocessing.InputHeight;

        List<(string Layer, IReadOnlyList<ICamMethod> Methods)> sweep = await _executor.RunAsync(_ => layers
            .Select(l => (l.Name, (IReadOnlyList<ICamMethod>)candidates.Where(x => MethodApplicability.WhyNot(x, m.Model, l.Name, m.Name) is null).ToList()))
            .Where(p => p.Item2.Count > 0).ToList(), camRequest.Priority, camRequest.Owner, WorkCost.Quick, cancellationToken).ConfigureAwait(false);
        if (sweep.Count == 0)
            throw new CamRequestException(CamRequestErrorKind.MethodNotApplicable, CamRequestFields.Methods,
                $"No method applies to model '{m.Name}' at the layers {string.Join(", ", layers.Select(l => l.Name))}.");

        long perMap = MapEvaluator.ForwardsPerMap(options, positions, false);
        long forwards = photos.Count * (1 + ranks * (sweep.Sum(s => s.Methods.Count) + MetricNames.Baselines.Count) * perMap
            + ranks * sweep.Sum(s => s.Methods.Sum(x => x.ExtraForwardsPerPhoto(layers.First(l => l.Name == s.Layer).Shape[1]))));
        IReadOnlyList<PhotoEvaluation> evaluated = await RunScoredAsync(m, m.Model.Preprocessing, photos, progress, camRequest, forwards,
            (model, input, _, probabilities, pacing, scorer, token) =>
                ScorePhoto(model, input, sweep, classes, probabilities, _baselineScores, options, scorer, pacing, token),
            cancellationToken).ConfigureAwait(false);

        var rows = evaluated.SelectMany(p => p.Maps).GroupBy(x => (x.Method, x.Layer, x.IsBaseline)).Select(g =>
        {
            double deletion = g.Average(x => x.Scores.DeletionAuc ?? double.NaN), insertion = g.Average(x => x.Scores.InsertionAuc ?? double.NaN);
            double? road = request.Score == RecommendScore.RoadCombined ? g.Average(x => x.Scores.RoadCombined ?? double.NaN) : null;
            double score = road ?? insertion - deletion;
            return (g.Key.Method, g.Key.Layer, g.Key.IsBaseline, score, deletion, insertion, road);
        }).OrderByDescending(r => r.score).ThenBy(r => r.IsBaseline).ToList();
        var ranked = rows.Select((r, i) => new Recommendation(i + 1, r.Method, r.Layer, r.score, r.deletion, r.insertion, r.road, r.IsBaseline)).ToList();
        return new EngineRecommendation(m.Name, request.Score, sweep.Select(s => s.Layer).ToList(), ranked, evaluated,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private delegate List<EvaluatedMap> PhotoScoring(ICamModel model, Tensor input, int photo, float[] probabilities, ForwardPacing pacing,
        ProbabilityScorer scorer, CancellationToken token);

    /// <summary>Resizes the photos off the torch thread, then on it (long work) scores each photo with <paramref name="score"/>.</summary>
    private async Task<IReadOnlyList<PhotoEvaluation>> RunScoredAsync(ResolvedModel m, PreprocessingSpec spec, IReadOnlyList<Image<Rgb24>> photos,
        IProgress<ExplainProgress>? progress, CamRequest request, long forwards, PhotoScoring score, CancellationToken cancellationToken)
    {
        (Image<Rgb24>[] inputs, MapPlacement[] placements) = await Task.Run(() =>
            (photos.Select(p => PhotoPreprocessor.Resize(p, spec)).ToArray(),
             photos.Select(p => PhotoPreprocessor.Placement(p.Width, p.Height, spec)).ToArray()), cancellationToken).ConfigureAwait(false);
        try
        {
            return await _executor.RunAsync(token =>
            {
                ICamModel model = m.Model;
                var pacing = new ForwardPacing(forwards, progress, _executor);
                string anyLayer = model.AutoLayer;
                var scorer = new ProbabilityScorer(model, anyLayer, pacing, token);
                var result = new List<PhotoEvaluation>();
                for (int i = 0; i < inputs.Length; i++)
                {
                    using DisposeScope scope = torch.NewDisposeScope();
                    Tensor input = PhotoPreprocessor.ToBatch([inputs[i]], spec, model.Device);
                    (float[] probabilities, IReadOnlyList<Prediction> top) = Probabilities(model, input, anyLayer, pacing, token);
                    List<EvaluatedMap> maps = score(model, input, i, probabilities, pacing, scorer, token);
                    result.Add(new PhotoEvaluation(top, maps.Select(x => x with { Map = x.Map with { Placement = placements[i] } }).ToList(), placements[i]));
                }
                return (IReadOnlyList<PhotoEvaluation>)result;
            }, request.Priority, request.Owner ?? "", WorkCost.Long, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (Image<Rgb24> input in inputs)
                input.Dispose();
        }
    }

    /// <summary>Every class's softmax probability for one input (one forward pass, counted on the pacing) and the top predictions.</summary>
    private static (float[] Probabilities, IReadOnlyList<Prediction> Top) Probabilities(ICamModel model, Tensor input, string layer,
        ForwardPacing pacing, CancellationToken token)
    {
        pacing.BeforeChunk(token);
        long started = Stopwatch.GetTimestamp();
        using DisposeScope scope = torch.NewDisposeScope();
        using IDisposable noGrad = torch.no_grad();
        using ModelRun run = model.Run(input, layer, trackGradients: false);
        float[] p = run.Logits.to(ScalarType.Float32).softmax(1)[0].cpu().data<float>().ToArray();
        pacing.AfterChunk(1, Stopwatch.GetElapsedTime(started));
        var top = p.Select((v, c) => (v, c)).OrderByDescending(x => x.v).Take(CamExplainer.TopPredictionCount)
            .Select(x => new Prediction(x.c, model.Labels[x.c], x.v)).ToList();
        return (p, top);
    }

    /// <summary>
    /// The maps of one photo at each layer (one forward + one partial backward per class rank per layer), then the
    /// baselines (when <paramref name="baselines"/> is given: scores it has for this photo and class are reused), all scored.
    /// </summary>
    private static List<EvaluatedMap> ScorePhoto(ICamModel model, Tensor input, IReadOnlyList<(string Layer, IReadOnlyList<ICamMethod> Methods)> sweep,
        ClassSelection classes, float[] probabilities, BaselineScoreCache? baselines, MetricOptions options, ProbabilityScorer scorer, ForwardPacing pacing,
        CancellationToken token)
    {
        int width = (int)input.shape[3], height = (int)input.shape[2];
        var byClass = new Dictionary<int, List<EvaluatedMap>>();
        var classOrder = new List<int>();
        foreach ((string layer, IReadOnlyList<ICamMethod> methods) in sweep)
        {
            PhotoExplanation explained = CamExplainer.Explain(model, input, methods, layer, classes, pacing, token, out _)[0];
            foreach (ClassMap map in explained.Maps)
            {
                if (!byClass.TryGetValue(map.ClassIndex, out List<EvaluatedMap>? list))
                {
                    byClass[map.ClassIndex] = list = [];
                    classOrder.Add(map.ClassIndex);
                }
                list.Add(new EvaluatedMap(map.Method, map.ClassIndex, map.ClassName, layer, false, probabilities[map.ClassIndex],
                    new PlacedMap(map.Map, MapPlacement.WholePhoto, width, height), new MapScores()));
            }
        }

        // The noise baseline is drawn on the grid of the last layer swept (the explained layer of an evaluation).
        LayerInfo grid = model.Layers.First(l => l.Name == sweep[^1].Layer);
        var result = new List<EvaluatedMap>();
        string? inputKey = baselines is null ? null : BaselineScoreCache.InputKey(input);
        foreach (int c in classOrder)
        {
            using var evaluator = new MapEvaluator(scorer, pacing, options, input, c, probabilities[c], token);
            foreach (EvaluatedMap map in byClass[c])
            {
                ICamMethod method = sweep.First(s => s.Layer == map.Layer).Methods.First(x => x.Id == map.Method);
                float[] atInput = AtInput(map.Map.Map, width, height);
                float[] Recompute(long cls) => AtInput(CamExplainer.Explain(model, input, [method], map.Layer,
                    new ClassSelection.Indices([(int)cls]), null, token, out _)[0].Maps[0].Map, width, height);
                result.Add(map with { Scores = evaluator.Score(atInput, Recompute) });
            }
            if (baselines is not null)
            {
                foreach (string name in MetricNames.Baselines)
                {
                    float[] values = BaselineMaps.For(name, input, options.Seed, (int)grid.Shape[3], (int)grid.Shape[2]);
                    string key = BaselineScoreCache.Key(inputKey!, name, c, grid, options);
                    if (baselines.TryGet(model, key, out MapScores scores))
                    {
                        pacing.Skip(MapEvaluator.ForwardsPerMap(options, width * height, modelIndependent: true));
                    }
                    else
                    {
                        scores = evaluator.Score(values, null);
                        baselines.Add(model, key, scores);
                    }
                    result.Add(new EvaluatedMap(name, c, model.Labels[c], "", true, probabilities[c],
                        new PlacedMap(new CamMap(width, height, values), MapPlacement.WholePhoto, width, height), scores));
                }
            }
        }
        return result;
    }

    /// <summary>The raw map upsampled bilinearly (align_corners = false) to the input, min-max normalised.</summary>
    private static float[] AtInput(CamMap map, int width, int height) =>
        new CamMap(width, height, MapResampler.Resize(map, width, height)).Normalised();

    /// <summary>Class ranks a selection explains per photo.</summary>
    private static int RankCount(ClassSelection classes) => classes switch
    {
        ClassSelection.TopK k => k.K,
        ClassSelection.Indices i => i.Classes.Count,
        _ => 1,
    };

    /// <summary>The evaluation's settings checked once; every problem a <see cref="CamRequestException"/> naming its field.</summary>
    private static MetricOptions CheckMetrics(EvaluateRequest request, ResolvedModel m)
    {
        var metrics = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<string> given = request.Metrics is { Count: > 0 } list ? list : MetricNames.Default;
        foreach (string raw in given)
        {
            string id = (raw ?? "").Trim().ToLowerInvariant();
            if (id.Length == 0)
                continue;
            if (!MetricNames.All.Contains(id))
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Metrics,
                    $"Unknown metric '{raw}'. Metrics: {string.Join(", ", MetricNames.All)}.");
            metrics.Add(id);
        }
        if (metrics.Count == 0)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Metrics,
                $"No metric requested. Metrics: {string.Join(", ", MetricNames.All)}.");
        if (request.Box is not null)
            metrics.Add(MetricNames.Pointing);
        else if (metrics.Contains(MetricNames.Pointing))
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Box,
                "The pointing games need the object's box: give x0,y0,x1,y1 in photo pixels.");
        if (request.Steps <= 0 || request.Steps > EvaluationLimits.MaxSteps)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Steps,
                $"Steps must be between 1 and {EvaluationLimits.MaxSteps}, got {request.Steps}.");
        if (metrics.Contains(MetricNames.Sanity))
        {
            if (request.SanityStages <= 0 || request.SanityStages > EvaluationLimits.MaxSanityStages)
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Metrics,
                    $"Sanity stages must be between 1 and {EvaluationLimits.MaxSanityStages}, got {request.SanityStages}.");
            if (m.Model is not IWeightRandomisation)
                throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Metrics,
                    $"Model '{m.Name}' cannot re-initialise its weights, which the sanity checks need; leave 'sanity' out.");
        }
        PerturbationBaseline baseline = (request.Baseline ?? "zeros").Trim().ToLowerInvariant() switch
        {
            "" or "zeros" or "zero" => PerturbationBaseline.Zeros,
            "blur" => PerturbationBaseline.Blur,
            "mean" => PerturbationBaseline.Mean,
            _ => throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Baseline,
                $"Unknown baseline '{request.Baseline}'. Baselines: zeros, blur, mean."),
        };
        return new MetricOptions { Metrics = metrics, Steps = request.Steps, Baseline = baseline, SanityStages = request.SanityStages, Seed = request.Seed };
    }

    /// <summary><paramref name="box"/> (photo pixels) on the model's input; outside the photo, or outside what the model sees, is an error.</summary>
    private static InputBox? InputBoxOf(PhotoBox? box, int photoWidth, int photoHeight, PreprocessingSpec spec)
    {
        if (box is null)
            return null;
        if (box.X0 < 0 || box.Y0 < 0 || box.X1 > photoWidth || box.Y1 > photoHeight || box.X0 >= box.X1 || box.Y0 >= box.Y1)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Box,
                $"Box {box} is not inside the {photoWidth}×{photoHeight} photo: give 0 ≤ x0 < x1 ≤ {photoWidth} and 0 ≤ y0 < y1 ≤ {photoHeight}.");
        Rectangle region = PhotoPreprocessor.InputRegion(photoWidth, photoHeight, spec);
        double sx = (double)spec.InputWidth / region.Width, sy = (double)spec.InputHeight / region.Height;
        int x0 = Math.Clamp((int)Math.Floor((box.X0 - region.X) * sx), 0, spec.InputWidth), x1 = Math.Clamp((int)Math.Ceiling((box.X1 - region.X) * sx), 0, spec.InputWidth);
        int y0 = Math.Clamp((int)Math.Floor((box.Y0 - region.Y) * sy), 0, spec.InputHeight), y1 = Math.Clamp((int)Math.Ceiling((box.Y1 - region.Y) * sy), 0, spec.InputHeight);
        if (x0 >= x1 || y0 >= y1)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Box,
                $"Box {box} lies outside the part of the photo the model sees ({region.X},{region.Y},{region.Right},{region.Bottom}).");
        return new InputBox(x0, y0, x1, y1);
    }

    /// <summary>The last <see cref="RecommendRequest.LastLayers"/> spatial layers up to the auto layer, then the named ones.</summary>
    private static List<LayerInfo> SweepLayers(ResolvedModel m, RecommendRequest request, string? requestLayer)
    {
        IReadOnlyList<LayerInfo> all = m.Model.Layers;
        int auto = Math.Max(0, all.ToList().FindIndex(l => l.Name == m.Model.AutoLayer));
        var layers = all.Take(auto + 1).Where(l => l.IsSpatial).TakeLast(request.LastLayers).ToList();
        IEnumerable<string> named = (request.Layers ?? []).Concat(string.IsNullOrWhiteSpace(requestLayer) ? [] : [requestLayer]);
        foreach (string name in named)
        {
            LayerInfo info = ResolveLayer(m, name);
            if (!layers.Any(l => l.Name == info.Name))
                layers.Add(info);
        }
        if (layers.Count == 0)
            throw new CamRequestException(CamRequestErrorKind.InvalidValue, CamRequestFields.Layers, "No layer to sweep: ask for at least one.");
        if (layers.Count > EvaluationLimits.MaxLayers)
            throw new CamRequestException(CamRequestErrorKind.TooMuchWork, CamRequestFields.Layers,
                $"{layers.Count} layers in one sweep; at most {EvaluationLimits.MaxLayers}.");
        return layers;
    }
}
