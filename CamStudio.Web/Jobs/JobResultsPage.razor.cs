using CamStudio.Web.Access;
using Microsoft.AspNetCore.Components;

namespace CamStudio.Web.Jobs;

/// <summary>
/// <c>/jobs/{id}</c>: the gallery of a job (thumbnails, predictions, filter by predicted class, failures), export,
/// explorer links, and deleting a finished job.
/// </summary>
public sealed partial class JobResultsPage : IDisposable
{
    private const string FailedFilter = "\u0000failed";
    private JobInfo? _job;
    private IReadOnlyList<JobPhoto> _photos = [];
    private IReadOnlyList<string> _classNames = [];
    private string _filter = "";
    private bool _interactive, _deleted;
    private string? _off;
    private IDisposable? _subscription;

    [Parameter] public string JobId { get; set; } = "";

    [Inject] private IJobStore Store { get; set; } = default!;
    [Inject] private JobProgressPublisher Publisher { get; set; } = default!;
    [Inject] private JobRunner Runner { get; set; } = default!;
    [Inject] private CircuitCaller Caller { get; set; } = default!;
    [Inject] private JobFiles Files { get; set; } = default!;

    /// <summary>Scores of the explained photos read so far (a finished photo's file never changes), and their summary.</summary>
    private readonly Dictionary<int, IReadOnlyList<JobMapScore>> _scores = [];
    private IReadOnlyDictionary<int, JobConcepts> _concepts = new Dictionary<int, JobConcepts>();
    private IReadOnlyList<CamStudio.Engine.Metrics.MethodSummary> _summary = [];

    /// <summary>
    /// The explorer link for a photo of this job with the request of one of its maps: <c>job</c> and <c>photo</c> (the
    /// explorer loads the photo from <c>/api/jobs/{job}/photos/{photo}</c>), then the job's <c>model</c>, and the map's
    /// <c>method</c>, <c>class</c> (its index) and <c>layer</c> (the resolved layer, so "auto" opens the same one).
    /// </summary>
    public static string ExplorerLink(JobInfo job, int photo, JobMapFile? map)
    {
        var query = new List<KeyValuePair<string, string?>> { new("job", job.Id), new("photo", photo.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
        string? model = job.ModelName ?? (job.Settings.Model.Length == 0 ? null : job.Settings.Model);
        if (model is not null)
            query.Add(new("model", model));
        if (map is not null)
        {
            query.Add(new("method", map.Method));
            query.Add(new("class", map.ClassIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            query.Add(new("layer", map.Layer));
        }
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/", query);
    }

    private string ExplorerLink(JobPhoto photo) => ExplorerLink(_job!, photo.Index, photo.Maps.FirstOrDefault());

    /// <summary>The photo whose maps the viewer shows, or null when it is closed.</summary>
    private JobPhoto? _viewing;

    private bool ViewerOpen
    {
        get => _viewing is not null;
        set
        {
            if (!value)
                _viewing = null;
        }
    }

    private void View(JobPhoto photo) => _viewing = photo;

    [Inject] private CamStudio.Engine.CamEngine Engine { get; set; } = default!;

    private IReadOnlyDictionary<string, string> MethodNames =>
        Engine.Methods.All.ToDictionary(m => m.Id, m => m.DisplayName, StringComparer.OrdinalIgnoreCase);

    private IEnumerable<JobPhoto> Shown => _filter switch
    {
        "" => _photos,
        FailedFilter => _photos.Where(p => p.State == PhotoState.Failed),
        _ => _photos.Where(p => p.Top1Name == _filter),
    };

    protected override void OnParametersSet()
    {
        Load();
        _subscription ??= Publisher.Subscribe(p =>
        {
            if (p.JobId == JobId)
                _ = InvokeAsync(() =>
                {
                    Load();
                    StateHasChanged();
                });
        });
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    private void Load()
    {
        _off = Store.UnavailableReason;
        if (_off is not null || _deleted)
            return;
        // Another session's job reads as "no such job", as in the API.
        _job = JobFiles.IsValidId(JobId) && Store.GetJob(JobId) is { } job && Caller.Value.CanAccess(job.Owner) ? job : null;
        _photos = _job is null ? [] : Store.ListPhotos(JobId);
        _classNames = [.. _photos.Where(p => p.Top1Name is not null).Select(p => p.Top1Name!).Distinct().Order()];
        if (_job?.Settings.Concepts is not null)
            _concepts = JobConceptFiles.ReadAll(Files.ResultsDirectory(JobId), _photos);
        if (_job?.Settings.Metrics is null)
            return;
        string results = Files.ResultsDirectory(JobId);
        foreach (JobPhoto photo in _photos.Where(p => p.State == PhotoState.Done && !_scores.ContainsKey(p.Index)))
            _scores[photo.Index] = JobScoreFiles.Read(results, photo.Index);
        _summary = JobScoreFiles.Summary(_scores.Values);
    }

    private async Task DeleteAsync()
    {
        if (_job is not { } job || !job.State.IsFinal() || !Caller.Value.CanAccess(job.Owner))
            return;
        await Runner.PurgeAsync(job.Id);
        _deleted = true;
        _job = null;
        _photos = [];
    }

    public void Dispose() => _subscription?.Dispose();
}
