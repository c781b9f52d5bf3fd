using CamStudio.Engine;
using CamStudio.Engine.Cam;
using CamStudio.Engine.Maps;
using CamStudio.Web.Jobs;

namespace CamStudio.Web.Cluster;

/// <summary>
/// A <see cref="PhotoOutcome"/> as it travels from a worker to the studio and back: raw map values and overlay bytes
/// are copied as they are, so the studio writes exactly the files the single process would.
/// </summary>
internal static class WorkerResults
{
    public static WorkerPhotoResult ToWire(PhotoOutcome outcome) => outcome switch
    {
        PhotoOutcome.Failed failed => new WorkerPhotoResult(failed.Reason, [], [], [], [], []),
        PhotoOutcome.Explained e => new WorkerPhotoResult(null,
            [.. e.Explanation.TopPredictions.Select(p => new WorkerPrediction(p.ClassIndex, p.ClassName, p.Probability))],
            [.. e.Explanation.Maps.Select(m => new WorkerMap(m.Method, m.ClassIndex, m.ClassName, m.Layer, m.Map.Map.Width, m.Map.Map.Height,
                m.Map.Map.Raw, Placement(m.Map.Placement), m.Map.InputWidth, m.Map.InputHeight))],
            Placement(e.Explanation.Placement), e.OverlayPngs, e.ThumbnailPng,
            e.Scores is null ? null : System.Text.Json.JsonSerializer.Serialize(e.Scores, ScoreJsonOptions),
            // Guided and concept PNGs as the worker drew them (base64 in JSON: a few per photo, only when asked).
            e.Pictures is null ? null : System.Text.Json.JsonSerializer.Serialize(e.Pictures, ScoreJsonOptions)),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    public static PhotoOutcome FromWire(WorkerPhotoResult result)
    {
        if (result.Error is { } error)
            return new PhotoOutcome.Failed(error);
        var maps = result.Maps.Select(m => new PlacedClassMap(m.Method, m.ClassIndex, m.ClassName, m.Layer,
            new PlacedMap(new CamMap(m.Width, m.Height, m.Raw), Placement(m.Placement), m.InputWidth, m.InputHeight))).ToList();
        var explanation = new PhotoMaps([.. result.Predictions.Select(p => new Prediction(p.ClassIndex, p.ClassName, p.Probability))], maps,
            Placement(result.Placement));
        return new PhotoOutcome.Explained(explanation, result.OverlayPngs, result.ThumbnailPng)
        {
            // A job's metrics, computed by the worker's engine (the same numbers a single process writes).
            Scores = result.ScoresJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<JobMapScore[]>(result.ScoresJson, ScoreJsonOptions),
            Pictures = result.PicturesJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<JobPictures>(result.PicturesJson, ScoreJsonOptions),
        };
    }

    private static readonly System.Text.Json.JsonSerializerOptions ScoreJsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static double[] Placement(MapPlacement p) => [p.Left, p.Top, p.Width, p.Height];

    private static MapPlacement Placement(double[] p) =>
        p.Length == 4 ? new MapPlacement(p[0], p[1], p[2], p[3]) : throw new InvalidDataException($"A placement has 4 numbers, got {p.Length}.");
}
