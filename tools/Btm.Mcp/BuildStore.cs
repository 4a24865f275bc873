using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Btm.Mcp;

/// <summary>
/// The builds' state in SQLite (<c>.btm/service.db</c>), so a restarted service still knows every
/// build: those that were running when it stopped become INTERRUPTED.
/// </summary>
public sealed class BuildStore
{
    private readonly string _connection;
    private readonly object _gate = new();

    public BuildStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        _connection = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate }.ToString();
        Execute("""
            CREATE TABLE IF NOT EXISTS builds (
              id TEXT PRIMARY KEY, task TEXT NOT NULL, packages TEXT NOT NULL, platforms TEXT NOT NULL, mode TEXT NOT NULL,
              force INTEGER NOT NULL, state TEXT NOT NULL, step TEXT, created TEXT NOT NULL, started TEXT, ended TEXT,
              exit_code INTEGER, log_path TEXT NOT NULL, artifacts TEXT NOT NULL, pid INTEGER, seq INTEGER NOT NULL)
            """);
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
        r["pid"] is long p ? (int)p : null);

    private static string Iso(DateTimeOffset? t) => t?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)!;

    public void Add(BuildRecord b) => Execute(
        "INSERT INTO builds VALUES ($id, $task, $packages, $platforms, $mode, $force, $state, NULL, $created, NULL, NULL, NULL, $log, '[]', NULL, " +
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM builds))",
        ("$id", b.Id), ("$task", b.Task), ("$packages", JsonSerializer.Serialize(b.Packages)), ("$platforms", JsonSerializer.Serialize(b.Platforms)),
        ("$mode", b.Mode), ("$force", b.Force ? 1 : 0), ("$state", b.State), ("$created", Iso(b.Created)), ("$log", b.LogPath));

    public BuildRecord? Get(string id) => Query("SELECT * FROM builds WHERE id = $id", ("$id", id)).SingleOrDefault();

    public IReadOnlyList<BuildRecord> Recent(int limit) => Query("SELECT * FROM builds ORDER BY seq DESC LIMIT $n", ("$n", limit));

    public BuildRecord? NextQueued() => Query($"SELECT * FROM builds WHERE state = '{BuildState.Queued}' ORDER BY seq LIMIT 1").SingleOrDefault();

    public IReadOnlyList<BuildRecord> Live() =>
        Query($"SELECT * FROM builds WHERE state IN ('{BuildState.Preparing}', '{BuildState.Running}', '{BuildState.Collecting}')");

    public void SetState(string id, string state, string? step = null) =>
        Execute("UPDATE builds SET state = $state, step = COALESCE($step, step) WHERE id = $id", ("$id", id), ("$state", state), ("$step", step));

    public void SetStep(string id, string step) => Execute("UPDATE builds SET step = $step WHERE id = $id", ("$id", id), ("$step", step));

    public void Started(string id, int pid) =>
        Execute($"UPDATE builds SET state = '{BuildState.Running}', started = $t, pid = $pid WHERE id = $id", ("$id", id), ("$t", Iso(DateTimeOffset.UtcNow)), ("$pid", pid));

    public void Finished(string id, string state, int? exitCode, IReadOnlyList<string> artifacts) =>
        Execute("UPDATE builds SET state = $state, ended = $t, exit_code = $exit, artifacts = $artifacts WHERE id = $id",
            ("$id", id), ("$state", state), ("$t", Iso(DateTimeOffset.UtcNow)), ("$exit", exitCode), ("$artifacts", JsonSerializer.Serialize(artifacts)));
}
