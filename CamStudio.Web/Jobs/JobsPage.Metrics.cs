using CamStudio.Engine.Metrics;

namespace CamStudio.Web.Jobs;

/// <summary>The Jobs page's optional metrics (issue 10): which ones, the deletion/insertion steps, and the baselines.</summary>
public sealed partial class JobsPage
{
    /// <summary>The metrics a job can compute per photo: the pointing games need a box per photo, so they are not offered.</summary>
    private static readonly (string Id, string Name, string Hint)[] OfferedMetrics =
    [
        (MetricNames.Deletion, "Deletion", "Probability as the most relevant pixels are removed (lower is better)"),
        (MetricNames.Insertion, "Insertion", "Probability as the most relevant pixels are restored (higher is better)"),
        (MetricNames.Drop, "Average Drop", "Probability lost on the photo masked by the map (lower is better)"),
        (MetricNames.Increase, "Increase", "The masked photo scores higher than the photo"),
        (MetricNames.Road, "ROAD", "Remove and debias: most relevant first vs least relevant first (slow)"),
        (MetricNames.Sanity, "Sanity checks", "Does the map change when the weights are randomised? (slow)"),
    ];

    private IReadOnlyCollection<string> _metrics = [];
    private int _metricSteps = JobMetricSettings.DefaultSteps;
    private bool _metricBaselines = true;

    private void OnMetricsChanged(IReadOnlyCollection<string>? metrics) => _metrics = metrics ?? [];

    /// <summary>The page's metric choices on <paramref name="settings"/>; none chosen: no metrics.</summary>
    private JobSettings WithMetrics(JobSettings settings) => _metrics.Count == 0 ? settings : settings with
    {
        Metrics = new JobMetricSettings([.. OfferedMetrics.Select(m => m.Id).Where(_metrics.Contains)])
        {
            Steps = _metricSteps,
            Baselines = _metricBaselines,
        },
    };
}
