using CamStudio.Engine;
using CamStudio.Web.Access;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace CamStudio.Web.Jobs;

/// <summary>
/// <c>/jobs</c>: start a job (photos, a ZIP, or a server folder for the host), the queue with live progress bars,
/// ETA and thumbnails as photos finish, cancel and delete; a page of <see cref="JobsApi.DefaultPageSize"/> jobs at a
/// time. Uploads go straight into the job's folder (no temp copies). When jobs are off or waiting (read-only data
/// folder, full disk) the page says why. Progress comes from <see cref="JobProgressPublisher"/> in-process. The
/// methods offered are those the engine lists as available for the chosen model and layer (the others disabled,
/// the reason on hover); a job the engine refuses shows the message beside the field at fault.
/// </summary>
public sealed partial class JobsPage : IDisposable
{
    private IReadOnlyCollection<string> _methods = ["gradcam"];
    private readonly Dictionary<string, JobProgress> _live = [];
    private readonly Dictionary<string, List<(int Photo, string Title)>> _thumbs = [];
    private List<JobInfo> _jobs = [];
    private JobInfo? _submitted;
    private IReadOnlyList<IBrowserFile> _photos = [];
    private IReadOnlyList<string> _leftOut = [];
    private IBrowserFile? _archive;
    private string? _folder, _model, _classes, _layer, _error, _errorField, _chosen;
    private IReadOnlyList<MethodAvailability> _available = [];
    private bool _submitting, _interactive, _isLocal;
    private readonly JobFeatureChoice _features = new();
    private int _page = 1, _totalJobs;
    private string? _notice;
    private IDisposable? _subscription;
    private readonly CancellationTokenSource _lifetime = new();

    [Inject] private IJobStore Store { get; set; } = default!;
    [Inject] private JobSubmitter Submitter { get; set; } = default!;
    [Inject] private JobRunner Runner { get; set; } = default!;
    [Inject] private JobProgressPublisher Publisher { get; set; } = default!;
    [Inject] private Microsoft.Extensions.Options.IOptions<JobOptions> Options { get; set; } = default!;
    [Inject] private CircuitCaller Caller { get; set; } = default!;
    [Inject] private ILogger<JobsPage> Logger { get; set; } = default!;
    [Inject] private CamEngine Engine { get; set; } = default!;

    private bool CanSubmit => _photos.Count > 0 || _archive is not null || !string.IsNullOrWhiteSpace(_folder);

    /// <summary>The engine's message for <paramref name="field"/> of the last refused job, or null.</summary>
    private string? FieldError(string field) => _errorField == field ? _error : null;

    private static bool IsFormField(string field) =>
        field is CamRequestFields.Model or CamRequestFields.Methods or CamRequestFields.Classes or CamRequestFields.Layer
            or CamRequestFields.Metrics or CamRequestFields.Steps or CamRequestFields.Layers or CamRequestFields.Fuse
            or CamRequestFields.Guided or ConceptFields.Concepts;

    protected override async Task OnInitializedAsync()
    {
        Start();
        await LoadModelAsync();
        await RefreshMethodsAsync();
    }

    /// <summary>
    /// The methods for the chosen model and layer, available or not with the reason. When the model or layer itself is
    /// wrong, that field says why and every method stays listed (the job is refused at submission anyway).
    /// </summary>
    private async Task RefreshMethodsAsync()
    {
        try
        {
            _available = await Engine.MethodsForAsync(string.IsNullOrWhiteSpace(_model) ? null : _model.Trim(),
                string.IsNullOrWhiteSpace(_layer) ? JobSettings.Default.Layer : _layer.Trim(), _lifetime.Token);
            if (_errorField is CamRequestFields.Model or CamRequestFields.Layer)
                (_error, _errorField) = (null, null);
            // A method that does not apply here is not kept chosen.
            var usable = _available.Where(m => m.IsAvailable).Select(m => m.Id).ToHashSet(StringComparer.OrdinalIgnoreCase);
            _methods = [.. _methods.Where(usable.Contains)];
        }
        catch (CamRequestException ex)
        {
            (_error, _errorField) = (ex.Message, IsFormField(ex.Field) ? ex.Field : null);
            _available = [.. Engine.Methods.All.Select(m => new MethodAvailability(m.Id, m.DisplayName, m.Paper, m.Requirements, true, null))];
        }
        catch (OperationCanceledException)
        {
            // The page is gone.
        }
    }

    private void Start()
    {
        // Folder jobs read the server's disk: only the host gets the folder field.
        _isLocal = Caller.Value.IsHost;
        _notice = Store.UnavailableReason;
        if (_notice is not null)
            return; // jobs are off: the page shows why, and nothing else can be read
        _notice = Runner.WaitingReason;
        Reload();
        foreach (JobInfo job in _jobs.Where(j => j.Finished > 0))
            _thumbs[job.Id] = [.. Store.ListPhotos(job.Id).Where(p => p.ThumbnailFile is not null).Select(p => (p.Index, p.FileName))];
        _subscription = Publisher.Subscribe(OnProgress);
    }

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender)
        {
            _interactive = true;
            StateHasChanged();
        }
    }

    /// <summary>Called on the runner's thread: the page's state changes only on the renderer's context.</summary>
    private void OnProgress(JobProgress progress) => _ = InvokeAsync(() =>
    {
        if (_jobs.All(j => j.Id != progress.JobId) && !(Store.GetJob(progress.JobId) is { } job && Caller.Value.CanAccess(job.Owner)))
            return; // another session's job: not shown here
        _live[progress.JobId] = progress;
        if (progress.Photo is int photo && progress.Error is null)
        {
            if (!_thumbs.TryGetValue(progress.JobId, out var list))
                _thumbs[progress.JobId] = list = [];
            list.Add((photo, $"{progress.File}: {progress.Top1Name} ({progress.Top1Prob:P0}){(progress.Worker is { } worker ? $", by {worker}" : "")}"));
        }
        if (progress.State != "running" || _jobs.All(j => j.Id != progress.JobId))
            Reload();
        StateHasChanged();
    });

    private void OnPhotosChosen(InputFileChangeEventArgs e)
    {
        // More than a job takes: the first ones are kept and the page says which were left out (never an exception).
        IReadOnlyList<IBrowserFile> all = e.GetMultipleFiles(Math.Max(1, e.FileCount));
        int max = Options.Value.MaxPhotos;
        _photos = [.. all.Take(max)];
        _leftOut = [.. all.Skip(max).Select(f => f.Name)];
        _archive = null;
        _chosen = $"{_photos.Count} photo(s) chosen";
    }

    private void OnArchiveChosen(InputFileChangeEventArgs e)
    {
        _archive = e.File;
        _photos = [];
        _leftOut = [];
        _chosen = $"Archive {e.File.Name} chosen";
    }

    private void OnMethodsChanged(IReadOnlyCollection<string>? methods) => _methods = methods ?? [];

    private void ClearChosen()
    {
        _leftOut = [];
        _photos = [];
        _archive = null;
        _chosen = null;
    }

    /// <summary>The chip colour of a job state (theme colours, so the dark theme follows).</summary>
    internal static Color StateColor(string state) => state switch
    {
        "queued" => Color.Default,
        "running" => Color.Info,
        "completed" => Color.Success,
        "failed" => Color.Error,
        "cancelled" => Color.Secondary,
        "interrupted" => Color.Warning,
        _ => Color.Default,
    };

    private async Task SubmitAsync()
    {
        _submitting = true;
        _error = null;
        _errorField = null;
        _submitted = null;
        try
        {
            JobSettings settings = WithMetrics(_features.ApplyTo(JobSubmitter.ParseSettings(_model, _methods, _classes, _layer)));
            CancellationToken token = _lifetime.Token;
            if (_archive is null && _photos.Count == 0 && !(_isLocal && !string.IsNullOrWhiteSpace(_folder)))
                return;
            await Submitter.CheckSettingsAsync(Caller.Value, settings, token);
            using (JobIntake intake = Submitter.Begin(Caller.Value))
            {
                if (_archive is not null)
                {
                    await using var source = _archive.OpenReadStream(Options.Value.MaxUploadBytes, token);
                    await intake.AddUploadedArchiveAsync(source, _archive.Name, token);
                }
                else if (_photos.Count > 0)
                {
                    foreach (IBrowserFile photo in _photos)
                    {
                        await using var source = photo.OpenReadStream(Options.Value.MaxPhotoBytes, token);
                        await intake.Writer.AddPhotoAsync(photo.Name, source, token);
                    }
                }
                else
                {
                    await intake.Writer.AddFolderAsync(_folder!.Trim(), token);
                }
                _submitted = await Submitter.CommitAsync(intake, settings, token);
            }
            _photos = [];
            _archive = null;
            _chosen = null;
            Reload();
        }
        catch (JobRefusedException ex)
        {
            _error = ex.Message;
        }
        catch (CamRequestException ex)
        {
            // Refused at once, never accepted and then failing every photo: the message goes beside its field.
            (_error, _errorField) = (ex.Message, IsFormField(ex.Field) ? ex.Field : null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            string errorId = ErrorIds.New();
            Logger.LogError(ex, "Starting a job failed (error id {ErrorId})", errorId);
            _error = $"The job could not be started; see the server log (id {errorId}).";
        }
        finally
        {
            _submitting = false;
        }
    }

    private IReadOnlyList<JobInfo> VisibleJobs() => JobsApi.VisibleJobs(Caller.Value, Store, _page, JobsApi.DefaultPageSize);

    private int PageCount => Math.Max(1, (_totalJobs + JobsApi.DefaultPageSize - 1) / JobsApi.DefaultPageSize);

    /// <summary>The current page of jobs, the total for the pager, and why jobs wait (if they do).</summary>
    private void Reload()
    {
        _notice = Store.UnavailableReason ?? Runner.WaitingReason;
        if (Store.UnavailableReason is not null)
            return;
        _totalJobs = JobsApi.CountVisibleJobs(Caller.Value, Store);
        _page = Math.Min(_page, PageCount);
        _jobs = [.. VisibleJobs()];
        Summarise();
    }

    private void OnPageChanged(int page)
    {
        _page = page;
        Reload();
    }

    private async Task CancelAsync(string jobId)
    {
        if (Store.GetJob(jobId) is not { } job || !Caller.Value.CanAccess(job.Owner))
            return;
        await Runner.CancelAsync(jobId);
        Reload();
    }

    /// <summary>Deletes a finished job with its files (the host may delete any, a session its own).</summary>
    private async Task DeleteAsync(string jobId)
    {
        if (Store.GetJob(jobId) is not { } job || !Caller.Value.CanAccess(job.Owner))
            return;
        await Runner.PurgeAsync(jobId);
        _thumbs.Remove(jobId);
        _live.Remove(jobId);
        Reload();
    }

    internal static string FormatDuration(long milliseconds) =>
        milliseconds < 1000 ? "<1 s" : TimeSpan.FromMilliseconds(milliseconds).ToString(milliseconds >= 3_600_000 ? @"h\:mm\:ss" : @"m\:ss");

    public void Dispose()
    {
        _subscription?.Dispose();
        _lifetime.Cancel();
        _lifetime.Dispose();
    }
}
