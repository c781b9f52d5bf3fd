using System.Text.Json.Serialization;

namespace CamStudio.Web.Jobs;

/// <summary>Lifecycle of a job. <see cref="Interrupted"/>: the process died while it ran; the runner resumes it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    Queued,
    Running,
    Interrupted,
    Completed,
    Failed,
    Cancelled,
}

public static class JobStates
{
    public static string ToText(this JobState state) => state.ToString().ToLowerInvariant();

    public static JobState Parse(string text) => Enum.Parse<JobState>(text, ignoreCase: true);

    public static bool IsFinal(this JobState state) => state is JobState.Completed or JobState.Failed or JobState.Cancelled;
}

/// <summary>What a job computes for every photo. <paramref name="Model"/> empty = the default model.</summary>
/// <param name="Classes">"top1", "top3", … or class indices and/or names (syntax: <see cref="CamStudio.Engine.Cam.ClassSelectionParser"/>).</param>
public sealed record JobSettings(string Model, IReadOnlyList<string> Methods, string Classes, string Layer)
{
    public static JobSettings Default { get; } = new("", ["gradcam"], "top1", "auto");

    /// <summary>Method options (<see cref="CamStudio.Engine.CamRequest.Options"/>), e.g. samples = 35.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>Several layers fused into one map (<see cref="CamStudio.Engine.CamRequest.Layers"/>); empty: <see cref="Layer"/> alone.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>How <see cref="Layers"/> are fused: mean, max, layercam or refine (null: mean).</summary>
    public string? Fuse { get; init; }

    /// <summary>aug_smooth (<see cref="CamStudio.Engine.CamRequest.AugSmooth"/>).</summary>
    public bool AugSmooth { get; init; }

    /// <summary>eigen_smooth (<see cref="CamStudio.Engine.CamRequest.EigenSmooth"/>).</summary>
    public bool EigenSmooth { get; init; }

    /// <summary>Faithfulness metrics computed for every photo (issue 10); null: none (kept in the settings JSON).</summary>
    public JobMetricSettings? Metrics { get; init; }

    /// <summary>
    /// Guided backpropagation of every explained class and Guided Grad-CAM of every map (<see cref="CamStudio.Engine.CamRequest.Guided"/>),
    /// written as the CLI's <c>explain --guided</c> names them.
    /// </summary>
    public bool Guided { get; init; }

    /// <summary>Deep Feature Factorization of every photo at the job's layer (the CLI's <c>concepts</c>); null: none.</summary>
    public JobConceptSettings? Concepts { get; init; }
}

/// <summary>A job's concepts, as <see cref="CamStudio.Engine.ConceptRequest"/> takes them (the engine checks them when the job is submitted).</summary>
/// <param name="Count">How many concepts (K).</param>
public sealed record JobConceptSettings(int Count)
{
    public const int DefaultCount = 5, DefaultClassesPerConcept = 2;

    /// <summary>Classes named per concept in the legend.</summary>
    public int ClassesPerConcept { get; init; } = DefaultClassesPerConcept;
}

/// <summary>
/// Which faithfulness metrics a job scores its maps with, as <see cref="CamStudio.Engine.EvaluateRequest"/> takes them
/// (the engine checks them when the job is submitted).
/// </summary>
/// <param name="Names">Metric ids (deletion, insertion, drop, increase, road, sanity); empty: the engine's default set.</param>
public sealed record JobMetricSettings(IReadOnlyList<string> Names)
{
    public const int DefaultSteps = 20;

    /// <summary>Deletion/insertion intervals.</summary>
    public int Steps { get; init; } = DefaultSteps;

    /// <summary>Also score the three baseline maps (random, centre, Sobel) for comparison.</summary>
    public bool Baselines { get; init; }

    /// <summary>What deleted positions become: zeros (null), blur or mean.</summary>
    public string? Baseline { get; init; }
}

/// <summary>The scores of one map of a photo (or of a baseline), as stored in the job's <c>metrics/&lt;photo&gt;.json</c>.</summary>
public sealed record JobMapScore(string Method, int ClassIndex, string ClassName, string Layer, bool IsBaseline, double Probability,
    CamStudio.Engine.Metrics.MapScores Scores);

/// <summary>A job as stored.</summary>
public sealed record JobInfo(
    string Id,
    JobState State,
    JobSettings Settings,
    string? ModelName,
    string? ModelSha256,
    int Total,
    int Done,
    int Failed,
    DateTimeOffset CreatedUtc,
    DateTimeOffset? StartedUtc,
    DateTimeOffset? FinishedUtc,
    string? Error,
    int Runs,
    IReadOnlyList<IntakeIssue> Skipped)
{
    /// <summary>Entries left out in all; only the first <see cref="JobOptions.MaxSkippedReasons"/> are in <see cref="Skipped"/>.</summary>
    public int SkippedCount { get; init; } = Skipped.Count;

    public int Finished => Done + Failed;

    /// <summary>The session that made the job (<see cref="CamStudio.Web.Access.StudioCaller.HostSessionId"/> for the host's and older jobs).</summary>
    public string Owner { get; init; } = CamStudio.Web.Access.StudioCaller.HostSessionId;
}

/// <summary>An input entry that was not taken into the job, and why.</summary>
public sealed record IntakeIssue(string Entry, string Reason);

[JsonConverter(typeof(JsonStringEnumConverter<PhotoState>))]
public enum PhotoState
{
    Pending,
    Done,
    Failed,
}

/// <summary>One explained map of a photo as stored: files are relative to the job's results folder.</summary>
/// <param name="NpyFile">The map at the model input's size, normalised to [0, 1] (<see cref="CamStudio.Engine.Imaging.MapFiles"/>).</param>
public sealed record JobMapFile(string Method, int ClassIndex, string ClassName, float Probability, string Layer, string NpyFile, string OverlayFile)
{
    /// <summary>The raw map at the layer's size; null for results written before raw maps were kept.</summary>
    public string? RawNpyFile { get; init; }

    /// <summary>The guided backpropagation image of this map's class (<see cref="JobSettings.Guided"/>); null when not asked.</summary>
    public string? GuidedFile { get; init; }

    /// <summary>Guided Grad-CAM: the guided image × this map (<see cref="JobSettings.Guided"/>); null when not asked.</summary>
    public string? GuidedCamFile { get; init; }
}

/// <summary>One photo of a job and, once finished, its result.</summary>
public sealed record JobPhoto(
    int Index,
    string FileName,
    PhotoState State,
    string? Error,
    int? Top1Index,
    string? Top1Name,
    float? Top1Probability,
    IReadOnlyList<JobPrediction> Predictions,
    IReadOnlyList<JobMapFile> Maps,
    string? ThumbnailFile,
    DateTimeOffset? ComputedUtc,
    int? ComputedInRun)
{
    /// <summary>Id of the result row (assigned once, when the photo finished).</summary>
    public long? ResultId { get; init; }

    /// <summary>The worker that computed the result (a cluster's worker, or this machine's name); null before it was recorded.</summary>
    public string? Worker { get; init; }
}

public sealed record JobPrediction(int ClassIndex, string ClassName, float Probability);

/// <summary>
/// The SignalR message sent to a job's followers after every photo and once at the end; while a slow method (Score-CAM,
/// Ablation-CAM) runs, also about ten times a second with the job's forward passes done of all it needs
/// (<paramref name="DoneForwards"/> of <paramref name="TotalForwards"/>; null for one-pass methods).
/// </summary>
public sealed record JobProgress(
    string JobId,
    string State,
    int Done,
    int Total,
    int Failed,
    string? File,
    int? Photo,
    int? Top1Index,
    string? Top1Name,
    float? Top1Prob,
    long ElapsedMs,
    long? EtaMs,
    string? Error,
    long? FinishedAtUnixMs = null,
    long? DoneForwards = null,
    long? TotalForwards = null)
{
    /// <summary>Which worker computed <see cref="Photo"/> (the machine's name in single mode); null on job-wide messages.</summary>
    public string? Worker { get; init; }

    /// <summary>When that worker finished the photo (Unix ms; clustered jobs), so a follower can tell the latency.</summary>
    public long? ComputedAtUnixMs { get; init; }
}

/// <summary>A job that is not accepted (or not continued): the HTTP status, a title and a message saying why.</summary>
public class JobRefusedException(int statusCode, string title, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Title { get; } = title;
}

/// <summary>Bad job input: the whole job is rejected (HTTP 400) with this message.</summary>
public sealed class JobInputException(string message) : JobRefusedException(StatusCodes.Status400BadRequest, "The job was not accepted", message);

/// <summary>The data folder's disk is (nearly) full: HTTP 507 at intake, a failed job while running.</summary>
public sealed class DiskFullException(string message) : JobRefusedException(StatusCodes.Status507InsufficientStorage, "Disk full", message);

/// <summary>An upload, a job or a session passes a size or count limit (HTTP 413, or 403 for the number of jobs).</summary>
public sealed class JobLimitException(int statusCode, string title, string message) : JobRefusedException(statusCode, title, message);

/// <summary>The request body broke off or is not what it claims (truncated multipart, bad framing): HTTP 400.</summary>
public sealed class UnreadableUploadException(string message) : JobRefusedException(StatusCodes.Status400BadRequest, "Unreadable upload", message);

/// <summary>Jobs are off: the data folder cannot be written (read-only, missing rights); the message names the folder.</summary>
public sealed class JobsUnavailableException(string message) : JobRefusedException(StatusCodes.Status503ServiceUnavailable, "Jobs are off", message);
