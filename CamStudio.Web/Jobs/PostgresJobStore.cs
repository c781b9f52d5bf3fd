using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CamStudio.Web.Jobs;

/// <summary>
/// <see cref="IJobStore"/> in PostgreSQL, for a cluster (<c>CamStudio:Cluster:Mode</c> redis or postgres): every studio
/// node reads and writes the same jobs. The tables mirror <see cref="JobStore"/>'s; a result row is inserted once per
/// photo (UNIQUE(job_id, photo_idx)) and the photo's state changes from pending in the same transaction, so of two
/// writers of one photo exactly one wins.
/// </summary>
public sealed class PostgresJobStore : IJobStore, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan RetryReadyAfter = TimeSpan.FromSeconds(5);
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _where;
    private readonly Lock _readyGate = new();
    private bool _ready;
    private string? _unavailable;
    private DateTime _lastAttemptUtc;

    /// <summary>Never throws for a database that cannot be reached: jobs are then off and <see cref="UnavailableReason"/> says why.</summary>
    public PostgresJobStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _where = $"PostgreSQL database '{builder.Database}' on {builder.Host}:{builder.Port}";
        _dataSource = NpgsqlDataSource.Create(builder);
        TryMakeReady();
    }

    public string? UnavailableReason => TryMakeReady() ? null : _unavailable;

    public void Dispose() => _dataSource.Dispose();

    private bool TryMakeReady()
    {
        lock (_readyGate)
        {
            if (_ready)
                return true;
            if (_unavailable is not null && DateTime.UtcNow - _lastAttemptUtc < RetryReadyAfter)
                return false;
            _lastAttemptUtc = DateTime.UtcNow;
            try
            {
                Initialise();
                _ready = true;
                _unavailable = null;
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                _unavailable = $"Jobs are off: the {_where} cannot be used ({StoreRetry.OneLine(ex.Message)}). Check CamStudio:Cluster:Postgres and that the server runs.";
                return false;
            }
        }
    }

    private void Initialise()
    {
        using var connection = _dataSource.OpenConnection();
        // An advisory lock: several studio nodes starting at once create the tables once.
        Execute(connection, "SELECT pg_advisory_lock(715015)");
        try
        {
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS jobs (
                    id TEXT PRIMARY KEY,
                    state TEXT NOT NULL,
                    model TEXT NOT NULL,
                    methods TEXT NOT NULL,
                    classes TEXT NOT NULL,
                    layer TEXT NOT NULL,
                    model_name TEXT,
                    model_sha256 TEXT,
                    total INTEGER NOT NULL,
                    created_utc TIMESTAMPTZ NOT NULL,
                    started_utc TIMESTAMPTZ,
                    finished_utc TIMESTAMPTZ,
                    error TEXT,
                    runs INTEGER NOT NULL DEFAULT 0,
                    skipped TEXT NOT NULL DEFAULT '[]',
                    skipped_count INTEGER NOT NULL DEFAULT 0,
                    owner TEXT,
                    settings TEXT);
                CREATE TABLE IF NOT EXISTS photos (
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    file_name TEXT NOT NULL,
                    input_file TEXT NOT NULL,
                    state TEXT NOT NULL,
                    error TEXT,
                    PRIMARY KEY (job_id, idx));
                CREATE TABLE IF NOT EXISTS results (
                    id BIGSERIAL PRIMARY KEY,
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    photo_idx INTEGER NOT NULL,
                    top1_index INTEGER,
                    top1_name TEXT,
                    top1_prob REAL,
                    predictions TEXT NOT NULL,
                    maps TEXT NOT NULL,
                    thumbnail_file TEXT,
                    computed_utc TIMESTAMPTZ NOT NULL,
                    run INTEGER NOT NULL,
                    UNIQUE (job_id, photo_idx));
                ALTER TABLE results ADD COLUMN IF NOT EXISTS worker TEXT;
                CREATE TABLE IF NOT EXISTS job_runs (
                    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    run INTEGER NOT NULL,
                    started_utc TIMESTAMPTZ NOT NULL,
                    first_photo INTEGER,
                    resumed BOOLEAN NOT NULL,
                    PRIMARY KEY (job_id, run));
                """);
        }
        finally
        {
            Execute(connection, "SELECT pg_advisory_unlock(715015)");
        }
    }

    private NpgsqlConnection Open()
    {
        if (!TryMakeReady())
            throw new JobsUnavailableException(_unavailable!);
        return _dataSource.OpenConnection();
    }

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object? Value)[] parameters) =>
        Command(connection, null, sql, parameters);

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static DateTime Time(DateTimeOffset time) => time.UtcDateTime;

    public void CreateJob(string id, JobSettings settings, IReadOnlyList<(string FileName, string InputFile)> photos, IReadOnlyList<IntakeIssue> skipped,
        DateTimeOffset createdUtc, string? owner = null, int? skippedCount = null)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        using (var command = Command(connection, transaction, """
            INSERT INTO jobs (id, state, model, methods, classes, layer, total, created_utc, skipped, skipped_count, owner, settings)
            VALUES (@id, @state, @model, @methods, @classes, @layer, @total, @created, @skipped, @skippedCount, @owner, @settings)
            """,
            ("id", id), ("state", JobState.Queued.ToText()), ("model", settings.Model),
            ("methods", JsonSerializer.Serialize(settings.Methods, Json)), ("classes", settings.Classes),
            ("layer", settings.Layer), ("total", photos.Count), ("created", Time(createdUtc)),
            ("skipped", JsonSerializer.Serialize(skipped, Json)), ("skippedCount", skippedCount ?? skipped.Count), ("owner", owner),
            ("settings", JsonSerializer.Serialize(settings, Json))))
        {
            command.ExecuteNonQuery();
        }
        // One statement for all photos: arrays unnested server-side (a 50,000-photo job is one round trip).
        using (var insert = Command(connection, transaction, """
            INSERT INTO photos (job_id, idx, file_name, input_file, state)
            SELECT @job, p.idx, p.name, p.input, 'pending' FROM unnest(@idx, @name, @input) AS p(idx, name, input)
            """, ("job", id)))
        {
            insert.Parameters.Add(new NpgsqlParameter("idx", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = Enumerable.Range(0, photos.Count).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter("name", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = photos.Select(p => p.FileName).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter("input", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = photos.Select(p => p.InputFile).ToArray() });
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    private const string JobColumns = """
        j.id, j.state, j.model, j.methods, j.classes, j.layer, j.model_name, j.model_sha256, j.total,
        j.created_utc, j.started_utc, j.finished_utc, j.error, j.runs, j.skipped, j.skipped_count,
        (SELECT COUNT(*) FROM photos p WHERE p.job_id = j.id AND p.state = 'done')::int,
        (SELECT COUNT(*) FROM photos p WHERE p.job_id = j.id AND p.state = 'failed')::int,
        j.owner, j.settings
        """;

    public JobInfo? GetJob(string id)
    {
        using var connection = Open();
        using var command = Command(connection, $"SELECT {JobColumns} FROM jobs j WHERE j.id = @id", ("id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? JobRows.ReadJob(reader) : null;
    }

    public IReadOnlyList<JobInfo> ListJobs(int limit = 200, string? ownedBy = null, int offset = 0)
    {
        using var connection = Open();
        using var command = ownedBy is null
            ? Command(connection, $"SELECT {JobColumns} FROM jobs j ORDER BY j.created_utc DESC, j.id LIMIT @limit OFFSET @offset",
                ("limit", limit), ("offset", offset))
            : Command(connection, $"SELECT {JobColumns} FROM jobs j WHERE COALESCE(j.owner, @host) = @owner ORDER BY j.created_utc DESC, j.id LIMIT @limit OFFSET @offset",
                ("limit", limit), ("offset", offset), ("owner", ownedBy), ("host", CamStudio.Web.Access.StudioCaller.HostSessionId));
        using var reader = command.ExecuteReader();
        var jobs = new List<JobInfo>();
        while (reader.Read())
            jobs.Add(JobRows.ReadJob(reader));
        return jobs;
    }

    public int CountJobs(string? ownedBy = null)
    {
        using var connection = Open();
        using var command = ownedBy is null
            ? Command(connection, "SELECT COUNT(*)::int FROM jobs")
            : Command(connection, "SELECT COUNT(*)::int FROM jobs WHERE COALESCE(owner, @host) = @owner",
                ("owner", ownedBy), ("host", CamStudio.Web.Access.StudioCaller.HostSessionId));
        return (int)command.ExecuteScalar()!;
    }

    public IReadOnlyList<string> JobIdsOf(string owner)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT id FROM jobs WHERE COALESCE(owner, @host) = @owner",
            ("owner", owner), ("host", CamStudio.Web.Access.StudioCaller.HostSessionId));
        return ReadStrings(command);
    }

    public bool DeleteJob(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "DELETE FROM jobs WHERE id = @id", ("id", id));
        return command.ExecuteNonQuery() == 1;
    }

    public bool Exists(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT 1 FROM jobs WHERE id = @id", ("id", id));
        return command.ExecuteScalar() is not null;
    }

    public IReadOnlyList<string> PendingJobIds()
    {
        using var connection = Open();
        using var command = Command(connection, """
            SELECT id FROM jobs WHERE state IN ('queued', 'interrupted', 'running')
            ORDER BY CASE state WHEN 'queued' THEN 1 ELSE 0 END, created_utc
            """);
        return ReadStrings(command);
    }

    public IReadOnlyList<string> MarkRunningAsInterrupted()
    {
        using var connection = Open();
        using var command = Command(connection, "UPDATE jobs SET state = 'interrupted' WHERE state = 'running' RETURNING id");
        return ReadStrings(command);
    }

    public int StartRun(string id, string modelName, string modelSha256, int? firstPhoto, DateTimeOffset now)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        int run;
        using (var command = Command(connection, transaction, """
            UPDATE jobs SET state = 'running', runs = runs + 1, model_name = @name, model_sha256 = @sha,
                started_utc = COALESCE(started_utc, @now)
            WHERE id = @id AND state IN ('queued', 'interrupted', 'running')
            RETURNING runs
            """, ("id", id), ("name", modelName), ("sha", modelSha256), ("now", Time(now))))
        {
            run = command.ExecuteScalar() is int runs ? runs : throw new InvalidOperationException($"Job {id} is not waiting to run.");
        }
        using (var log = Command(connection, transaction, "INSERT INTO job_runs (job_id, run, started_utc, first_photo, resumed) VALUES (@id, @run, @now, @first, @resumed)",
            ("id", id), ("run", run), ("now", Time(now)), ("first", firstPhoto), ("resumed", run > 1)))
        {
            log.ExecuteNonQuery();
        }
        transaction.Commit();
        return run;
    }

    public IReadOnlyList<JobRun> ListRuns(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT run, started_utc, first_photo, resumed FROM job_runs WHERE job_id = @id ORDER BY run", ("id", id));
        using var reader = command.ExecuteReader();
        var runs = new List<JobRun>();
        while (reader.Read())
            runs.Add(JobRows.ReadRun(reader));
        return runs;
    }

    public IReadOnlyList<(int Index, string FileName, string InputFile)> PendingPhotos(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT idx, file_name, input_file FROM photos WHERE job_id = @id AND state = 'pending' ORDER BY idx", ("id", id));
        using var reader = command.ExecuteReader();
        var photos = new List<(int, string, string)>();
        while (reader.Read())
            photos.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        return photos;
    }

    public string? InputFileOf(string id, int photo)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT input_file FROM photos WHERE job_id = @id AND idx = @idx", ("id", id), ("idx", photo));
        return command.ExecuteScalar() as string;
    }

    public void SaveResult(string id, int photo, int run, PhotoState state, string? error, JobPrediction? top1,
        IReadOnlyList<JobPrediction> predictions, IReadOnlyList<JobMapFile> maps, string? thumbnailFile, DateTimeOffset computedUtc, string? worker = null)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        // Under READ COMMITTED a concurrent writer of the same photo waits for this row, then sees it finished: 0 rows.
        using (var update = Command(connection, transaction, "UPDATE photos SET state = @state, error = @error WHERE job_id = @id AND idx = @idx AND state = 'pending'",
            ("id", id), ("idx", photo), ("state", state == PhotoState.Done ? "done" : "failed"), ("error", error)))
        {
            if (update.ExecuteNonQuery() != 1)
                throw new InvalidOperationException($"Photo {photo} of job {id} is already finished.");
        }
        using (var insert = Command(connection, transaction, """
            INSERT INTO results (job_id, photo_idx, top1_index, top1_name, top1_prob, predictions, maps, thumbnail_file, computed_utc, run, worker)
            VALUES (@id, @idx, @t1i, @t1n, @t1p, @preds, @maps, @thumb, @time, @run, @worker)
            """,
            ("id", id), ("idx", photo), ("t1i", top1?.ClassIndex), ("t1n", top1?.ClassName), ("t1p", top1?.Probability),
            ("preds", JsonSerializer.Serialize(predictions, Json)), ("maps", JsonSerializer.Serialize(maps, Json)),
            ("thumb", thumbnailFile), ("time", Time(computedUtc)), ("run", run), ("worker", worker)))
        {
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public IReadOnlyList<JobPhoto> ListPhotos(string id)
    {
        using var connection = Open();
        using var command = Command(connection, $"""
            SELECT {JobRows.PhotoColumns}
            FROM photos p LEFT JOIN results r ON r.job_id = p.job_id AND r.photo_idx = p.idx
            WHERE p.job_id = @id ORDER BY p.idx
            """, ("id", id));
        using var reader = command.ExecuteReader();
        var photos = new List<JobPhoto>();
        while (reader.Read())
            photos.Add(JobRows.ReadPhoto(reader));
        return photos;
    }

    public bool Finish(string id, JobState state, string? error, DateTimeOffset now)
    {
        using var connection = Open();
        using var command = Command(connection, """
            UPDATE jobs SET state = @state, error = @error, finished_utc = @now
            WHERE id = @id AND state NOT IN ('completed', 'failed', 'cancelled')
            """, ("id", id), ("state", state.ToText()), ("error", error), ("now", Time(now)));
        return command.ExecuteNonQuery() == 1;
    }

    private static List<string> ReadStrings(NpgsqlCommand command)
    {
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
            values.Add(reader.GetString(0));
        return values;
    }
}
