using System.Data.Common;
using System.Globalization;
using System.Text.Json;

namespace CamStudio.Web.Jobs;

/// <summary>
/// Rows of the job tables as records, for both stores (<see cref="JobStore"/> in SQLite, <see cref="PostgresJobStore"/>):
/// the column lists are the same, only the SQL dialect around them differs. Times read as SQLite's ISO text or
/// PostgreSQL's timestamptz.
/// </summary>
internal static class JobRows
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>What <see cref="ReadPhoto"/> reads: photos <c>p</c> left-joined with their results <c>r</c>.</summary>
    public const string PhotoColumns = """
        p.idx, p.file_name, p.state, p.error, r.top1_index, r.top1_name, r.top1_prob, r.predictions, r.maps,
        r.thumbnail_file, r.computed_utc, r.run, r.id, r.worker
        """;

    /// <summary>
    /// A job from <c>id, state, model, methods, classes, layer, model_name, model_sha256, total, created_utc,
    /// started_utc, finished_utc, error, runs, skipped, skipped_count, done count, failed count, owner, settings</c>.
    /// </summary>
    public static JobInfo ReadJob(DbDataReader r)
    {
        IntakeIssue[] skipped = JsonSerializer.Deserialize<IntakeIssue[]>(r.GetString(14), Json) ?? [];
        return new JobInfo(
            Id: r.GetString(0),
            State: JobStates.Parse(r.GetString(1)),
            // The whole settings as JSON (method options and whatever is added later); the columns are for rows of
            // older versions and for reading by hand.
            Settings: (r.IsDBNull(19) ? null : JsonSerializer.Deserialize<JobSettings>(r.GetString(19), Json))
                      ?? new JobSettings(r.GetString(2), JsonSerializer.Deserialize<string[]>(r.GetString(3), Json) ?? [], r.GetString(4), r.GetString(5)),
            ModelName: r.IsDBNull(6) ? null : r.GetString(6),
            ModelSha256: r.IsDBNull(7) ? null : r.GetString(7),
            Total: r.GetInt32(8),
            Done: r.GetInt32(16),
            Failed: r.GetInt32(17),
            CreatedUtc: ReadTime(r, 9)!.Value,
            StartedUtc: ReadTime(r, 10),
            FinishedUtc: ReadTime(r, 11),
            Error: r.IsDBNull(12) ? null : r.GetString(12),
            Runs: r.GetInt32(13),
            Skipped: skipped)
        {
            // Rows of older versions kept every reason and no count.
            SkippedCount = Math.Max(r.GetInt32(15), skipped.Length),
            Owner = r.IsDBNull(18) ? CamStudio.Web.Access.StudioCaller.HostSessionId : r.GetString(18),
        };
    }

    /// <summary>A photo with its result, if finished, from <see cref="PhotoColumns"/>.</summary>
    public static JobPhoto ReadPhoto(DbDataReader r) => new(
        Index: r.GetInt32(0),
        FileName: r.GetString(1),
        State: Enum.Parse<PhotoState>(r.GetString(2), ignoreCase: true),
        Error: r.IsDBNull(3) ? null : r.GetString(3),
        Top1Index: r.IsDBNull(4) ? null : r.GetInt32(4),
        Top1Name: r.IsDBNull(5) ? null : r.GetString(5),
        Top1Probability: r.IsDBNull(6) ? null : r.GetFloat(6),
        Predictions: r.IsDBNull(7) ? [] : JsonSerializer.Deserialize<JobPrediction[]>(r.GetString(7), Json) ?? [],
        Maps: r.IsDBNull(8) ? [] : JsonSerializer.Deserialize<JobMapFile[]>(r.GetString(8), Json) ?? [],
        ThumbnailFile: r.IsDBNull(9) ? null : r.GetString(9),
        ComputedUtc: ReadTime(r, 10),
        ComputedInRun: r.IsDBNull(11) ? null : r.GetInt32(11))
    {
        ResultId = r.IsDBNull(12) ? null : r.GetInt64(12),
        Worker = r.IsDBNull(13) ? null : r.GetString(13),
    };

    /// <summary>A run from <c>run, started_utc, first_photo, resumed</c> (resumed: SQLite's 0/1 or PostgreSQL's boolean).</summary>
    public static JobRun ReadRun(DbDataReader r) =>
        new(r.GetInt32(0), ReadTime(r, 1)!.Value, r.IsDBNull(2) ? null : r.GetInt32(2), Convert.ToBoolean(r.GetValue(3), CultureInfo.InvariantCulture));

    public static DateTimeOffset? ReadTime(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetValue(ordinal) switch
    {
        string text => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        DateTimeOffset time => time.ToUniversalTime(),
        object other => throw new InvalidDataException($"Column {r.GetName(ordinal)} holds {other.GetType().Name}, not a time."),
    };
}
