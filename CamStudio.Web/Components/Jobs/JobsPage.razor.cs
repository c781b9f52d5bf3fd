using CamStudio.Web.Access;
using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace CamStudio.Web.Components.Jobs;

/// <summary>
/// <c>/jobs</c>: start a job (photos, a ZIP, or a server folder for the host), the queue with live progress bars,
/// ETA and thumbnails as photos finish, and cancel. Progress comes from <see cref="JobProgressPublisher"/> in-process.
/// </summary>
public sealed partial class JobsPage : IDisposable
{
    private IReadOnlyCollection<string> _methods = ["gradcam"];
    private readonly Dictionary<string, JobProgress> _live = [];
    private readonly Dictionary<string, List<(int Photo, string Title)>> _thumbs = [];
    private List<JobInfo> _jobs = [];
    private JobInfo? _submitted;
    private IReadOnlyList<IBrowserFile> _photos = [];
    private IBrowserFile? _archive;
    private string? _folder, _model, _classes, _layer, _error, _chosen;
    private bool _submitting, _interactive, _isLocal;
    private IDisposable? _subscription;
    private CancellationTokenSource _lifetime = new();

    [Inject] private JobStore Store { get; set; } = default!;
    [Inject] private JobSubmitter Submitter { get; set; } = default!;
    [Inject] private JobRunner Runner { get; set; } = default!;
    [Inject] private JobProgressPublisher Publisher { get; set; } = default!;
    [Inject] private Microsoft.Extensions.Options.IOptions<JobOptions> Options { get; set; } = default!;
    [Inject] private CircuitCaller Caller { get; set; } = default!;
    [Inject] private ILogger<JobsPage> Logger { get; set; } = default!;

    private bool CanSubmit => _photos.Count > 0 || _archive is not null || !string.IsNullOrWhiteSpace(_folder);

    protected override void OnInitialized()
    {
        // Folder jobs read the server's disk: only the host gets the folder field.
        _isLocal = Caller.Value.IsHost;
        _jobs = [.. VisibleJobs()];
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
            list.Add((photo, $"{progress.File}: {progress.Top1Name} ({progress.Top1Prob:P0})"));
        }
        if (progress.State != "running" || _jobs.All(j => j.Id != progress.JobId))
            _jobs = [.. VisibleJobs()];
        StateHasChanged();
    });

    private void OnPhotosChosen(InputFileChangeEventArgs e)
    {
        _photos = e.GetMultipleFiles(Options.Value.MaxPhotos);
        _archive = null;
        _chosen = $"{_photos.Count} photo(s) chosen";
    }

    private void OnArchiveChosen(InputFileChangeEventArgs e)
    {
        _archive = e.File;
        _photos = [];
        _chosen = $"Archive {e.File.Name} chosen";
    }

    private void OnMethodsChanged(IReadOnlyCollection<string>? methods) => _methods = methods ?? [];

    private void ClearChosen()
    {
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
        _submitted = null;
        string temp = Path.Combine(Path.GetTempPath(), "camstudio-upload-" + Guid.NewGuid().ToString("N"));
        try
        {
            JobSettings settings = JobSubmitter.ParseSettings(_model, _methods, _classes, _layer);
            CancellationToken token = _lifetime.Token;
            if (_archive is not null)
            {
                Directory.CreateDirectory(temp);
                string path = Path.Combine(temp, "upload.zip");
                await using (var target = File.Create(path))
                await using (var source = _archive.OpenReadStream(Options.Value.MaxUploadBytes, token))
                    await source.CopyToAsync(target, token);
                await using var archive = File.OpenRead(path);
                _submitted = await Submitter.SubmitArchiveAsync(Caller.Value, settings, archive, _archive.Name, token);
            }
            else if (_photos.Count > 0)
            {
                Directory.CreateDirectory(temp);
                var incoming = new List<IncomingPhoto>();
                for (int i = 0; i < _photos.Count; i++)
                {
                    string path = Path.Combine(temp, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    await using (var target = File.Create(path))
                    await using (var source = _photos[i].OpenReadStream(Options.Value.MaxPhotoBytes, token))
                        await source.CopyToAsync(target, token);
                    incoming.Add(new IncomingPhoto(_photos[i].Name, () => File.OpenRead(path)));
                }
                _submitted = await Submitter.SubmitFilesAsync(Caller.Value, settings, incoming, token);
            }
            else if (_isLocal && !string.IsNullOrWhiteSpace(_folder))
            {
                _submitted = await Submitter.SubmitFolderAsync(Caller.Value, settings, _folder.Trim(), token);
            }
            _photos = [];
            _archive = null;
            _chosen = null;
            _jobs = [.. VisibleJobs()];
        }
        catch (JobInputException ex)
        {
            _error = ex.Message;
        }
        catch (IOException ex)
        {
            _error = $"The upload could not be read: {ex.Message}";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Logger.LogError(ex, "Starting a job failed");
            _error = $"The job could not be started: {ex.Message}";
        }
        finally
        {
            _submitting = false;
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
    }

    private IReadOnlyList<JobInfo> VisibleJobs() => JobsApi.VisibleJobs(Caller.Value, Store);

    private async Task CancelAsync(string jobId)
    {
        if (Store.GetJob(jobId) is not { } job || !Caller.Value.CanAccess(job.Owner))
            return;
        await Runner.CancelAsync(jobId);
        _jobs = [.. VisibleJobs()];
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
