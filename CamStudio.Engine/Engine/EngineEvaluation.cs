using CamStudio.Engine.Cam;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Metrics;

namespace CamStudio.Engine;

/// <summary>What <see cref="CamEngine.EvaluateAsync"/> returns: per photo its maps (methods', then baselines') with their scores.</summary>
/// <param name="ModelName">The model.</param>
/// <param name="Layer">The explained layer.</param>
/// <param name="Metrics">The metrics computed (pointing included when a box was given).</param>
/// <param name="Photos">One per photo, in order.</param>
/// <param name="TotalMs">From the call to the result.</param>
public sealed record EngineEvaluation(string ModelName, string Layer, IReadOnlyList<string> Metrics, IReadOnlyList<PhotoEvaluation> Photos, double TotalMs)
{
    /// <summary>Per method (baselines included), the mean and standard deviation of each metric over every photo and class.</summary>
    public IReadOnlyList<MethodSummary> Summary => MetricSummary.Of(Photos.SelectMany(p => p.Maps).Select(m => (m.Method, m.Layer, m.Scores)));
}

/// <summary>One photo's evaluation.</summary>
/// <param name="TopPredictions">The most probable classes.</param>
/// <param name="Maps">Class rank first, then methods in plan order, then the baselines.</param>
/// <param name="Placement">Where the maps sit on the photo.</param>
public sealed record PhotoEvaluation(IReadOnlyList<Prediction> TopPredictions, IReadOnlyList<EvaluatedMap> Maps, MapPlacement Placement);

/// <summary>One scored map.</summary>
/// <param name="Method">The method's id, or a baseline's name (<see cref="MetricNames.Baselines"/>).</param>
/// <param name="ClassIndex">The class scored.</param>
/// <param name="ClassName">Its label.</param>
/// <param name="Layer">The layer the map came from ("" for a baseline).</param>
/// <param name="IsBaseline">True for a baseline map.</param>
/// <param name="Probability">The class's softmax probability on the unperturbed input.</param>
/// <param name="Map">The map (a baseline's at input resolution) and its placement.</param>
/// <param name="Scores">The metrics.</param>
public sealed record EvaluatedMap(string Method, int ClassIndex, string ClassName, string Layer, bool IsBaseline, double Probability,
    PlacedMap Map, MapScores Scores);

/// <summary>What <see cref="CamEngine.RecommendAsync"/> returns: every layer × method pair and the baselines, best first.</summary>
/// <param name="ModelName">The model.</param>
/// <param name="Score">What the ranking is by.</param>
/// <param name="Layers">The layers swept.</param>
/// <param name="Ranked">Best first.</param>
/// <param name="Photos">Every scored map per photo (for writing them out).</param>
/// <param name="TotalMs">From the call to the result.</param>
public sealed record EngineRecommendation(string ModelName, RecommendScore Score, IReadOnlyList<string> Layers,
    IReadOnlyList<Recommendation> Ranked, IReadOnlyList<PhotoEvaluation> Photos, double TotalMs)
{
    /// <summary>The best method-layer pair that is not a baseline, or null when none was scored.</summary>
    public Recommendation? Best => Ranked.FirstOrDefault(r => !r.IsBaseline);
}

/// <summary>One ranked row (means over the photos and classes).</summary>
/// <param name="Rank">1 = best.</param>
/// <param name="Method">Method id or baseline name.</param>
/// <param name="Layer">Layer ("" for a baseline).</param>
/// <param name="Score">The ranking score.</param>
/// <param name="DeletionAuc">Mean deletion AUC.</param>
/// <param name="InsertionAuc">Mean insertion AUC.</param>
/// <param name="RoadCombined">Mean ROAD combined, when ranked by it.</param>
/// <param name="IsBaseline">True for a baseline.</param>
public sealed record Recommendation(int Rank, string Method, string Layer, double Score, double DeletionAuc, double InsertionAuc,
    double? RoadCombined, bool IsBaseline);
