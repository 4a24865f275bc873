using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Btm.Mcp;

/// <summary>
/// The builds' state in SQLite (<c>.btm/service.db</c>), shared by every service instance on the
/// clone: the queue is claimed in a transaction, so any number of instances take builds in one
/// order; each claimed build names its owner, so a restarted instance marks only the builds whose
/// owner is gone.
/// </summary>
public sealed class BuildStore
{
    private readonly string _connection;
    private readonly object _gate = new();

    public BuildStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Instances wait for each other's writes (Microsoft.Data.Sqlite retries a busy database until the
        // command timeout, 30 s) instead of failing with "database is locked".
        _connection = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 30, Pooling = false }.ToString();
        Execute("""
            CREATE TABLE IF NOT EXISTS builds (
              id TEXT PRIMARY KEY, task TEXT NOT NULL, packages TEXT NOT NULL, platforms TEXT NOT NULL, mode TEXT NOT NULL,
              force INTEGER NOT NULL, state TEXT NOT NULL, step TEXT, created TEXT NOT NULL, started TEXT, ended TEXT,
              exit_code INTEGER, log_path TEXT NOT NULL, artifacts TEXT NOT NULL, pid INTEGER, seq INTEGER NOT NULL,
              owner INTEGER, reason TEXT, cancel INTEGER NOT NULL DEFAULT 0, requester INTEGER)
            """);
        // Readers never wait for a writer (several instances poll the queue while one writes).
        Execute("PRAGMA journal_mode = WAL");
        // A service.db made before builds had owners gains the columns (SQLite has no ADD COLUMN IF NOT EXISTS).
        foreach (var column in new[] { "owner INTEGER", "reason TEXT", "cancel INTEGER NOT NULL DEFAULT 0", "requester INTEGER" })
        {
            try { Execute($"ALTER TABLE builds ADD COLUMN {column}"); }
            catch (SqliteException e) when (e.Message.Contains("duplicate column", StringComparison.Ordinal)) { }
        }
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters) => With(sql, parameters, c => c.ExecuteNonQuery());

    private List<BuildRecord> Query(string sql, params (string Name, object? Value)[] parameters) => With(sql, parameters, c =>
    {
        using var reader = c.ExecuteReader();
        var list = new List<BuildRecord>();
        while (reader.Read())
            list.Add(Read(reader));
        return list;
    });

    // One connection per statement, one statement at a time: the workers and the tool calls share the file.
    private T With<T>(string sql, (string Name, object? Value)[] parameters, Func<SqliteCommand, T> run)
    {
        lock (_gate)
        {
            using var db = new SqliteConnection(_connection);
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            return run(command);
        }
    }

    private static DateTimeOffset? Time(SqliteDataReader r, string column) =>
        r[column] is string s ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture) : null;

    private static BuildRecord Read(SqliteDataReader r) => new(
        (string)r["id"], (string)r["task"], JsonSerializer.Deserialize<List<string>>((string)r["packages"])!,
        JsonSerializer.Deserialize<List<string>>((string)r["platforms"])!, (string)r["mode"], (long)r["force"] != 0, (string)r["state"],
        r["step"] as string, Time(r, "created")!.Value, Time(r, "started"), Time(r, "ended"),
        r["exit_code"] is long e ? (int)e : null, (string)r["log_path"], JsonSerializer.Deserialize<List<string>>((string)r["artifacts"])!,
        r["pid"] is long p ? (int)p : null)
    {
        Owner = r["owner"] is long o ? (int)o : null,
        Reason = r["reason"] as string,
        CancelRequested = r["cancel"] is long c && c != 0,
        Requester = r["requester"] is long q ? (int)q : null,
    };

    private static string Iso(DateTimeOffset? t) => t?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)!;

    public void Add(BuildRecord b) => Execute(
        "INSERT INTO builds (id, task, packages, platforms, mode, force, state, created, log_path, artifacts, seq, cancel, requester) " +
        "VALUES ($id, $task, $packages, $platforms, $mode, $force, $state, $created, $log, '[]', (SELECT COALESCE(MAX(seq), 0) + 1 FROM builds), 0, $requester)",
        ("$id", b.Id), ("$task", b.Task), ("$packages", JsonSerializer.Serialize(b.Packages)), ("$platforms", JsonSerializer.Serialize(b.Platforms)),
        ("$mode", b.Mode), ("$force", b.Force ? 1 : 0), ("$state", b.State), ("$created", Iso(b.Created)), ("$log", b.LogPath), ("$requester", b.Requester));

    public BuildRecord? Get(string id) => Query("SELECT * FROM builds WHERE id = $id", ("$id", id)).SingleOrDefault();

    public IReadOnlyList<BuildRecord> Recent(int limit) => Query("SELECT * FROM builds ORDER BY seq DESC LIMIT $n", ("$n", limit));

    /// <summary>
    /// Takes the oldest queued build for <paramref name="owner"/> (PREPARING), in one statement, so two
    /// instances never take the same one; null when none is queued.
    /// </summary>
    public BuildRecord? Claim(int owner)
    {
        var claimed = Query($"""
            UPDATE builds SET state = '{BuildState.Preparing}', owner = $owner, step = 'starting'
            WHERE id = (SELECT id FROM builds WHERE state = '{BuildState.Queued}' ORDER BY seq LIMIT 1) AND state = '{BuildState.Queued}'
            RETURNING *
            """, ("$owner", owner));
        return claimed.SingleOrDefault();
    }

    public bool AnyQueued() => Query($"SELECT * FROM builds WHERE state = '{BuildState.Queued}' LIMIT 1").Count > 0;

    public IReadOnlyList<BuildRecord> Live() =>
        Query($"SELECT * FROM builds WHERE state IN ('{BuildState.Preparing}', '{BuildState.Running}', '{BuildState.Collecting}')");

    public void SetState(string id, string state, string? step = null) =>
        Execute($"UPDATE builds SET state = $state, step = COALESCE($step, step) WHERE id = $id AND state NOT IN ({Finals})",
            ("$id", id), ("$state", state), ("$step", step));

    public void SetStep(string id, string step) => Execute("UPDATE builds SET step = $step WHERE id = $id", ("$id", id), ("$step", step));

    /// <summary>PREPARING → RUNNING with its process; false when it was cancelled meanwhile (the caller ends the process).</summary>
    public bool Started(string id, int pid) =>
        With($"UPDATE builds SET state = '{BuildState.Running}', started = $t, pid = $pid WHERE id = $id AND state = '{BuildState.Preparing}'",
            [("$id", id), ("$t", Iso(DateTimeOffset.UtcNow)), ("$pid", pid)], c => c.ExecuteNonQuery()) == 1;

    /// <summary>Ends a build once: a final state is never replaced (a cancel that won stays CANCELLED).</summary>
    public bool Finished(string id, string state, int? exitCode, IReadOnlyList<string> artifacts, string? reason = null) =>
        With($"UPDATE builds SET state = $state, ended = $t, exit_code = $exit, artifacts = $artifacts, reason = COALESCE($reason, reason) WHERE id = $id AND state NOT IN ({Finals})",
            [("$id", id), ("$state", state), ("$t", Iso(DateTimeOffset.UtcNow)), ("$exit", exitCode), ("$artifacts", JsonSerializer.Serialize(artifacts)), ("$reason", reason)],
            c => c.ExecuteNonQuery()) == 1;

    /// <summary>A queued or preparing build is cancelled at once (true); a running one is marked for its owner to end.</summary>
    public bool CancelNow(string id, string reason) =>
        With($"UPDATE builds SET state = '{BuildState.Cancelled}', ended = $t, reason = $reason, cancel = 1 WHERE id = $id AND state IN ('{BuildState.Queued}', '{BuildState.Preparing}')",
            [("$id", id), ("$t", Iso(DateTimeOffset.UtcNow)), ("$reason", reason)], c => c.ExecuteNonQuery()) == 1;

    /// <summary>Back to the queue, for another instance to run from the start (its runner stopped; its requester did not).</summary>
    public bool Requeue(string id, string why) =>
        With($"UPDATE builds SET state = '{BuildState.Queued}', owner = NULL, pid = NULL, started = NULL, step = $why WHERE id = $id AND state IN ('{BuildState.Preparing}', '{BuildState.Running}', '{BuildState.Collecting}')",
            [("$id", id), ("$why", why)], c => c.ExecuteNonQuery()) == 1;

    public void RequestCancel(string id) => Execute("UPDATE builds SET cancel = 1 WHERE id = $id", ("$id", id));

    private static readonly string Finals = string.Join(", ", BuildState.Final.Select(f => $"'{f}'"));
}
