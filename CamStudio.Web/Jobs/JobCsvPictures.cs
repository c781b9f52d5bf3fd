namespace CamStudio.Web.Jobs;

/// <summary>
/// results.csv's columns for a job's pictures, present only when the job asked for them (as the metrics columns are):
/// <c>guided_file</c> and <c>guided_cam_file</c> (<see cref="JobSettings.Guided"/>), <c>concepts_file</c>
/// (<see cref="JobSettings.Concepts"/>; the same photo-wide picture on each of the photo's rows).
/// </summary>
/// <param name="Guided">The job is guided.</param>
/// <param name="Concepts">Each photo's concepts, by photo index; null: the job asks for none.</param>
public sealed record JobCsvPictures(bool Guided, IReadOnlyDictionary<int, JobConcepts>? Concepts)
{
    public static JobCsvPictures None { get; } = new(false, null);

    public IReadOnlyList<string> Columns => [.. Guided ? ["guided_file", "guided_cam_file"] : Array.Empty<string>(), .. Concepts is null ? [] : new[] { "concepts_file" }];

    /// <summary>The cells of <paramref name="map"/>'s row of <paramref name="photo"/>, under <see cref="Columns"/>.</summary>
    public IReadOnlyList<string> Cells(JobPhoto photo, JobMapFile map) =>
        [.. Guided ? [map.GuidedFile ?? "", map.GuidedCamFile ?? ""] : Array.Empty<string>(),
         .. Concepts is null ? [] : new[] { Concepts.GetValueOrDefault(photo.Index)?.File ?? "" }];
}
