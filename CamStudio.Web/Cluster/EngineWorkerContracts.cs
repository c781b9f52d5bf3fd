using Orleans.Concurrency;

namespace CamStudio.Web.Cluster;

/// <summary>
/// An engine on a worker silo: plans a job's settings and explains batches of its photos. Each batch is a new
/// activation (key: a fresh id), placed by <see cref="EnginePlacementAttribute"/> on a silo with an engine.
/// </summary>
public interface IEngineWorkerGrain : IGrainWithStringKey
{
    /// <summary>The job's settings (JSON of <see cref="Jobs.JobSettings"/>) planned by this worker's engine.</summary>
    Task<WorkerPlan> PlanAsync(string settingsJson, string owner);

    /// <summary>Explains the photos; refuses (<see cref="WorkerBatchResult.Refusal"/>) when this worker lacks the job's model.</summary>
    Task<WorkerBatchResult> ExplainAsync(WorkerBatch batch);
}

/// <summary>The workers the cluster has now (key 0): each worker reports itself about once a second.</summary>
public interface IWorkerDirectoryGrain : IGrainWithIntegerKey
{
    Task ReportAsync(WorkerStatus status);

    Task<IReadOnlyList<WorkerStatus>> ListAsync();
}

/// <summary>A worker as it last reported itself.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerStatus(
    [property: Id(0)] string Name,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Device,
    [property: Id(3)] int Queue,
    [property: Id(4)] double PhotosPerSecond,
    [property: Id(5)] long PhotosDone,
    [property: Id(6)] IReadOnlyList<WorkerModel> Models,
    [property: Id(7)] DateTimeOffset ReportedUtc,
    [property: Id(8)] string Gateway);

/// <summary>A model a worker has: its catalog name and file SHA-256.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerModel([property: Id(0)] string Name, [property: Id(1)] string? Sha256);

/// <summary>A plan's facts, or the engine's refusal (kind, field, message of its <see cref="Engine.CamRequestException"/>).</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerPlan(
    [property: Id(0)] string Worker,
    [property: Id(1)] string ModelName,
    [property: Id(2)] string ModelSha256,
    [property: Id(3)] string Layer,
    [property: Id(4)] IReadOnlyList<string> Methods,
    [property: Id(5)] IReadOnlyList<string> Labels,
    [property: Id(6)] long ForwardsPerPhoto,
    [property: Id(7)] string? ErrorKind,
    [property: Id(8)] string? ErrorField,
    [property: Id(9)] string? ErrorMessage);

/// <summary>
/// One batch: the job's settings, the model it must be computed with, the photos' bytes, and where the worker reports
/// the batch's forward passes as they happen (slow methods; null: no one follows them).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WorkerBatch(
    [property: Id(0)] string JobId,
    [property: Id(1)] string SettingsJson,
    [property: Id(2)] string Owner,
    [property: Id(3)] string ModelName,
    [property: Id(4)] string ModelSha256,
    [property: Id(5)] IReadOnlyList<WorkerPhoto> Photos,
    [property: Id(6)] IBatchProgressObserver? Progress = null);

/// <summary>
/// The studio's end of a batch's progress (an Orleans observer it creates for the batch): the worker reports the
/// engine's forward passes to it, one way, so a slow batch never waits for the studio.
/// </summary>
public interface IBatchProgressObserver : IGrainObserver
{
    [OneWay]
    Task ForwardsAsync(long doneForwards, long totalForwards, long elapsedMs);
}

[GenerateSerializer, Immutable]
public sealed record WorkerPhoto([property: Id(0)] string FileName, [property: Id(1)] byte[] Bytes);

/// <summary>A batch's outcomes in order, which worker computed them, or why it refused the batch.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerBatchResult(
    [property: Id(0)] string Worker,
    [property: Id(1)] IReadOnlyList<WorkerPhotoResult> Photos,
    [property: Id(2)] string? Refusal,
    [property: Id(3)] long FinishedUnixMs);

/// <summary>One photo: failed with <see cref="Error"/>, or its predictions, maps and rendered overlays.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerPhotoResult(
    [property: Id(0)] string? Error,
    [property: Id(1)] IReadOnlyList<WorkerPrediction> Predictions,
    [property: Id(2)] IReadOnlyList<WorkerMap> Maps,
    [property: Id(3)] double[] Placement,
    [property: Id(4)] IReadOnlyList<byte[]> OverlayPngs,
    [property: Id(5)] byte[] ThumbnailPng,
    [property: Id(6)] string? ScoresJson = null,
    [property: Id(7)] string? PicturesJson = null);

[GenerateSerializer, Immutable]
public sealed record WorkerPrediction([property: Id(0)] int ClassIndex, [property: Id(1)] string ClassName, [property: Id(2)] float Probability);

/// <summary>A placed map: raw values at layer size (bit for bit), where it sits on the photo, and the model input's size.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerMap(
    [property: Id(0)] string Method,
    [property: Id(1)] int ClassIndex,
    [property: Id(2)] string ClassName,
    [property: Id(3)] string Layer,
    [property: Id(4)] int Width,
    [property: Id(5)] int Height,
    [property: Id(6)] float[] Raw,
    [property: Id(7)] double[] Placement,
    [property: Id(8)] int InputWidth,
    [property: Id(9)] int InputHeight);
