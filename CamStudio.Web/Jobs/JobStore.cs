using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace CamStudio.Web.Jobs;

/// <summary>
/// Jobs, their photos and per-photo results in SQLite (<c>jobs.db</c>, WAL mode, synchronous FULL).
/// A result row is inserted once per photo (UNIQUE(job_id, photo_idx)): a photo already finished can never be
/// recomputed silently, and the row's id and time show when it was made.
/// </summary>
public sealed class JobStore : IJobStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan RetryReadyAfter = TimeSpan.FromSeconds(5);
    private readonly string _connectionString;
    private readonly Lock _readyGate = new();
    private bool _ready;
    private string? _unavailable;
    private DateTime _lastAttemptUtc;

    /// <summary>
    /// Never throws for a data folder that cannot be written (read-only, full, no rights): jobs are then off, the
    /// studio still starts, and <see cref="UnavailableReason"/> says why, naming the folder. Opening is retried.
    /// </summary>
    public JobStore(string dataDirectory)
    {
        DataDirectory = dataDirectory;
        DatabasePath = Path.Combine(dataDirectory, "jobs.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        TryMakeReady();
    }

    public string DataDirectory { get; }

    public string DatabasePath { get; }

    /// <summary>Why jobs are off (the data folder cannot be written), or null when the store works.</summary>
    public string? UnavailableReason => TryMakeReady() ? null : _unavailable;

    /// <summary>Opens (and if needed creates) the database; remembers why not, and tries again after a few seconds.</summary>
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
                Directory.CreateDirectory(DataDirectory);
                // A read-only folder may still hold a readable database: jobs need to write, so probe that first.
                // A full disk is not "off": the database still reads, and jobs wait for room (JobRunner, JobDisk).
                string probe = Path.Combine(DataDirectory, ".write-probe");
                try
                {
                    File.WriteAllBytes(probe, [1]);
                }
                catch (IOException ex) when (JobDisk.IsDiskFull(ex))
                {
                }
                finally
                {
                    File.Delete(probe);
                }
                Initialise();
                _ready = true;
                _unavailable = null;
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SqliteException)
            {
                _unavailable = JobDisk.IsDiskFull(ex)
                    ? $"Jobs are off: the disk of the data folder {DataDirectory} is full ({ex.Message})."
                    : $"Jobs are off: the data folder {DataDirectory} cannot be written ({ex.Message}). Make it writable or set CAMSTUDIO_DATA to another folder, then restart.";
                return false;
            }
        }
    }

    private void Initialise()
    {
        using var connection = OpenConnection();
        Execute(connection, "PRAGMA journal_mode=WAL;");
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
                created_utc TEXT NOT NULL,
                started_utc TEXT,
                finished_utc TEXT,
                error TEXT,
                runs INTEGER NOT NULL DEFAULT 0,
                skipped TEXT NOT NULL DEFAULT '[]',
                skipped_count INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE IF NOT EXISTS photos (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                file_name TEXT NOT NULL,
                input_file TEXT NOT NULL,
                state TEXT NOT NULL,
                error TEXT,
                PRIMARY KEY (job_id, idx));
            CREATE TABLE IF NOT EXISTS results (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                photo_idx INTEGER NOT NULL,
                top1_index INTEGER,
                top1_name TEXT,
                top1_prob REAL,
                predictions TEXT NOT NULL,
                maps TEXT NOT NULL,
                thumbnail_file TEXT,
                computed_utc TEXT NOT NULL,
                run INTEGER NOT NULL,
                UNIQUE (job_id, photo_idx));
            CREATE TABLE IF NOT EXISTS job_runs (
                job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                run INTEGER NOT NULL,
                started_utc TEXT NOT NULL,
                first_photo INTEGER,
                resumed INTEGER NOT NULL,
                PRIMARY KEY (job_id, run));
            """);
        AddColumnIfMissing(connection, "jobs", "skipped_count", "INTEGER NOT NULL DEFAULT 0");
        // Jobs stored before owners existed stay NULL, which reads as the host's (only the host could start jobs
        // from its folders, and LAN viewers shared everything before).
        AddColumnIfMissing(connection, "jobs", "owner", "TEXT");
        // The whole JobSettings as JSON, so a setting added later (method options, metrics, fusion) needs no new
        // column; NULL for jobs stored before it, which read from the columns above.
        AddColumnIfMissing(connection, "jobs", "settings", "TEXT");
        // Which worker computed the result (NULL for results stored before it was recorded).
        AddColumnIfMissing(connection, "results", "worker", "TEXT");
    }

    /// <summary>Upgrades a database made by an older version (CREATE TABLE IF NOT EXISTS keeps its old columns).</summary>
    private static void AddColumnIfMissing(SqliteConnection connection, string table, string column, string definition)
    {
        using var info = Command(connection, $"SELECT 1 FROM pragma_table_info('{table}') WHERE name = $column", ("$column", column));
        if (info.ExecuteScalar() is null)
            Execute(connection, $"ALTER TABLE {table} ADD COLUMN {column} {definition};");
    }

    private SqliteConnection Open()
    {
        if (!TryMakeReady())
            throw new JobsUnavailableException(_unavailable!);
        return OpenConnection();
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // FULL: a committed result survives even a power cut, not only a killed process (WAL + NORMAL would).
        Execute(connection, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Stores a new queued job with its photos (input files must already be in place).</summary>
    /// <param name="owner">The <see cref="CamStudio.Web.Access.StudioCaller.SessionId"/> that made the job; null = the host.</param>
    /// <param name="skippedCount">Every entry left out (<paramref name="skipped"/> holds the first ones); null = skipped.Count.</param>
    public void CreateJob(string id, JobSettings settings, IReadOnlyList<(string FileName, string InputFile)> photos, IReadOnlyList<IntakeIssue> skipped, DateTimeOffset createdUtc, string? owner = null, int? skippedCount = null)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        using (var command = Command(connection, """
            INSERT INTO jobs (id, state, model, methods, classes, layer, total, created_utc, skipped, skipped_count, owner, settings)
            VALUES ($id, $state, $model, $methods, $classes, $layer, $total, $created, $skipped, $skippedCount, $owner, $settings)
            """,
            ("$id", id), ("$state", JobState.Queued.ToText()), ("$model", settings.Model),
            ("$methods", JsonSerializer.Serialize(settings.Methods, Json)), ("$classes", settings.Classes),
            ("$layer", settings.Layer), ("$total", photos.Count), ("$created", Time(createdUtc)),
            ("$skipped", JsonSerializer.Serialize(skipped, Json)), ("$skippedCount", skippedCount ?? skipped.Count), ("$owner", owner),
            ("$settings", JsonSerializer.Serialize(settings, Json))))
        {
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }
        using (var insert = Command(connection, "INSERT INTO photos (job_id, idx, file_name, input_file, state) VALUES ($job, $idx, $name, $input, 'pending')"))
        {
            insert.Transaction = transaction;
            var idx = insert.Parameters.Add("$idx", SqliteType.Integer);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var input = insert.Parameters.Add("$input", SqliteType.Text);
            insert.Parameters.AddWithValue("$job", id);
            for (int i = 0; i < photos.Count; i++)
            {
                idx.Value = i;
                name.Value = photos[i].FileName;
                input.Value = photos[i].InputFile;
                insert.ExecuteNonQuery();
            }
        }
        transaction.Commit();
    }

    private const string JobColumns = """
        j.id, j.state, j.model, j.methods, j.classes, j.layer, j.model_name, j.model_sha256, j.total,
        j.created_utc, j.started_utc, j.finished_utc, j.error, j.runs, j.skipped, j.skipped_count,
        (SELECT COUNT(*) FROM photos p WHERE p.job_id = j.id AND p.state = 'done'),
        (SELECT COUNT(*) FROM photos p WHERE p.job_id = j.id AND p.state = 'failed'),
        j.owner, j.settings
        """;

    public JobInfo? GetJob(string id)
    {
        using var connection = Open();
        using var command = Command(connection, $"SELECT {JobColumns} FROM jobs j WHERE j.id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? JobRows.ReadJob(reader) : null;
    }

    /// <summary>One page of jobs, or of one owner's jobs (NULL owners are the host's), newest first.</summary>
    public IReadOnlyList<JobInfo> ListJobs(int limit = 200, string? ownedBy = null, int offset = 0)
    {
        using var connection = Open();
        using var command = ownedBy is null
            ? Command(connection, $"SELECT {JobColumns} FROM jobs j ORDER BY j.created_utc DESC, j.id LIMIT $limit OFFSET $offset",
                ("$limit", limit), ("$offset", offset))
            : Command(connection, $"SELECT {JobColumns} FROM jobs j WHERE COALESCE(j.owner, $host) = $owner ORDER BY j.created_utc DESC, j.id LIMIT $limit OFFSET $offset",
                ("$limit", limit), ("$offset", offset), ("$owner", ownedBy), ("$host", CamStudio.Web.Access.StudioCaller.HostSessionId));
        using var reader = command.ExecuteReader();
        var jobs = new List<JobInfo>();
        while (reader.Read())
            jobs.Add(JobRows.ReadJob(reader));
        return jobs;
    }

    /// <summary>How many jobs are stored, or of one owner (NULL owners are the host's).</summary>
    public int CountJobs(string? ownedBy = null)
    {
        using var connection = Open();
        using var command = ownedBy is null
            ? Command(connection, "SELECT COUNT(*) FROM jobs")
            : Command(connection, "SELECT COUNT(*) FROM jobs WHERE COALESCE(owner, $host) = $owner",
                ("$owner", ownedBy), ("$host", CamStudio.Web.Access.StudioCaller.HostSessionId));
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>The ids of one owner's jobs (for its storage quota).</summary>
    public IReadOnlyList<string> JobIdsOf(string owner)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT id FROM jobs WHERE COALESCE(owner, $host) = $owner",
            ("$owner", owner), ("$host", CamStudio.Web.Access.StudioCaller.HostSessionId));
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Removes a job's rows (photos, results and runs go with it). False when there was none.</summary>
    public bool DeleteJob(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "DELETE FROM jobs WHERE id = $id", ("$id", id));
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>True when a job with this id is stored (whatever its state).</summary>
    public bool Exists(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT 1 FROM jobs WHERE id = $id", ("$id", id));
        return command.ExecuteScalar() is not null;
    }

    /// <summary>Jobs the runner still owes work: interrupted first, then queued, oldest first.</summary>
    public IReadOnlyList<string> PendingJobIds()
    {
        using var connection = Open();
        using var command = Command(connection, """
            SELECT id FROM jobs WHERE state IN ('queued', 'interrupted', 'running')
            ORDER BY CASE state WHEN 'queued' THEN 1 ELSE 0 END, created_utc
            """);
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
            ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>At start-up: jobs left "running" by a process that died are marked interrupted. Returns their ids.</summary>
    public IReadOnlyList<string> MarkRunningAsInterrupted()
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        var ids = new List<string>();
        using (var select = Command(connection, "SELECT id FROM jobs WHERE state = 'running'"))
        {
            select.Transaction = transaction;
            using var reader = select.ExecuteReader();
            while (reader.Read())
                ids.Add(reader.GetString(0));
        }
        using (var update = Command(connection, "UPDATE jobs SET state = 'interrupted' WHERE state = 'running'"))
        {
            update.Transaction = transaction;
            update.ExecuteNonQuery();
        }
        transaction.Commit();
        return ids;
    }

    /// <summary>Marks the job running and records a new run that starts at <paramref name="firstPhoto"/>. Returns the run number.</summary>
    public int StartRun(string id, string modelName, string modelSha256, int? firstPhoto, DateTimeOffset now)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        int run;
        using (var command = Command(connection, """
            UPDATE jobs SET state = 'running', runs = runs + 1, model_name = $name, model_sha256 = $sha,
                started_utc = COALESCE(started_utc, $now)
            WHERE id = $id AND state IN ('queued', 'interrupted', 'running')
            RETURNING runs
            """, ("$id", id), ("$name", modelName), ("$sha", modelSha256), ("$now", Time(now))))
        {
            command.Transaction = transaction;
            object? result = command.ExecuteScalar();
            if (result is null)
                throw new InvalidOperationException($"Job {id} is not waiting to run.");
            run = Convert.ToInt32(result, CultureInfo.InvariantCulture);
        }
        using (var log = Command(connection, "INSERT INTO job_runs (job_id, run, started_utc, first_photo, resumed) VALUES ($id, $run, $now, $first, $resumed)",
            ("$id", id), ("$run", run), ("$now", Time(now)), ("$first", firstPhoto), ("$resumed", run > 1 ? 1 : 0)))
        {
            log.Transaction = transaction;
            log.ExecuteNonQuery();
        }
        transaction.Commit();
        return run;
    }

    /// <summary>The runs of a job: when each started and at which photo (the first unfinished one).</summary>
    public IReadOnlyList<JobRun> ListRuns(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT run, started_utc, first_photo, resumed FROM job_runs WHERE job_id = $id ORDER BY run", ("$id", id));
        using var reader = command.ExecuteReader();
        var runs = new List<JobRun>();
        while (reader.Read())
            runs.Add(JobRows.ReadRun(reader));
        return runs;
    }

    /// <summary>Photos not yet finished, in order.</summary>
    public IReadOnlyList<(int Index, string FileName, string InputFile)> PendingPhotos(string id)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT idx, file_name, input_file FROM photos WHERE job_id = $id AND state = 'pending' ORDER BY idx", ("$id", id));
        using var reader = command.ExecuteReader();
        var photos = new List<(int, string, string)>();
        while (reader.Read())
            photos.Add((reader.GetInt32(0), reader.GetString(1), reader.GetString(2)));
        return photos;
    }

    /// <summary>The input file (relative to the job's input folder) of one photo, or null.</summary>
    public string? InputFileOf(string id, int photo)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT input_file FROM photos WHERE job_id = $id AND idx = $idx", ("$id", id), ("$idx", photo));
        return command.ExecuteScalar() as string;
    }

    /// <summary>Records a finished photo; its files must already be in place (the row is what makes them count).</summary>
    public void SaveResult(string id, int photo, int run, PhotoState state, string? error, JobPrediction? top1,
        IReadOnlyList<JobPrediction> predictions, IReadOnlyList<JobMapFile> maps, string? thumbnailFile, DateTimeOffset computedUtc, string? worker = null)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        using (var update = Command(connection, "UPDATE photos SET state = $state, error = $error WHERE job_id = $id AND idx = $idx AND state = 'pending'",
            ("$id", id), ("$idx", photo), ("$state", state == PhotoState.Done ? "done" : "failed"), ("$error", error)))
        {
            update.Transaction = transaction;
            if (update.ExecuteNonQuery() != 1)
                throw new InvalidOperationException($"Photo {photo} of job {id} is already finished.");
        }
        using (var insert = Command(connection, """
            INSERT INTO results (job_id, photo_idx, top1_index, top1_name, top1_prob, predictions, maps, thumbnail_file, computed_utc, run, worker)
            VALUES ($id, $idx, $t1i, $t1n, $t1p, $preds, $maps, $thumb, $time, $run, $worker)
            """,
            ("$id", id), ("$idx", photo), ("$t1i", top1?.ClassIndex), ("$t1n", top1?.ClassName), ("$t1p", top1?.Probability),
            ("$preds", JsonSerializer.Serialize(predictions, Json)), ("$maps", JsonSerializer.Serialize(maps, Json)),
            ("$thumb", thumbnailFile), ("$time", Time(computedUtc)), ("$run", run), ("$worker", worker)))
        {
            insert.Transaction = transaction;
            insert.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    /// <summary>Every photo of a job with its result (if finished), in order.</summary>
    public IReadOnlyList<JobPhoto> ListPhotos(string id)
    {
        using var connection = Open();
        using var command = Command(connection, $"""
            SELECT {JobRows.PhotoColumns}
            FROM photos p LEFT JOIN results r ON r.job_id = p.job_id AND r.photo_idx = p.idx
            WHERE p.job_id = $id ORDER BY p.idx
            """, ("$id", id));
        using var reader = command.ExecuteReader();
        var photos = new List<JobPhoto>();
        while (reader.Read())
            photos.Add(JobRows.ReadPhoto(reader));
        return photos;
    }

    /// <summary>Sets a final state (completed, failed, cancelled) unless the job already has one.</summary>
    public bool Finish(string id, JobState state, string? error, DateTimeOffset now)
    {
        using var connection = Open();
        using var command = Command(connection, """
            UPDATE jobs SET state = $state, error = $error, finished_utc = $now
            WHERE id = $id AND state NOT IN ('completed', 'failed', 'cancelled')
            """, ("$id", id), ("$state", state.ToText()), ("$error", error), ("$now", Time(now)));
        return command.ExecuteNonQuery() == 1;
    }
}

/// <summary>One (re)start of a job by the runner.</summary>
public sealed record JobRun(int Run, DateTimeOffset StartedUtc, int? FirstPhoto, bool Resumed);
