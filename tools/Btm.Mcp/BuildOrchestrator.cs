using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Btm.Mcp;

/// <summary>
/// Runs builds as child processes of this service (the repo's build.sh with an argument list, no
/// shell), from a queue, with a pool of workers. Two builds of one clone never run at once: each
/// takes the clone's lock, named in the status of the builds that wait for it. One log file per
/// build; the state is in <see cref="BuildStore"/>.
/// </summary>
public sealed class BuildOrchestrator : IDisposable
{
    public static readonly IReadOnlyList<string> Tasks = ["Build", "Test", "Package", "Verify", "Release", "Clean"];

    private readonly BuildStore _store;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _cloneLock = new(1, 1);
    private readonly ConcurrentDictionary<string, Process> _running = new();
    private readonly ConcurrentDictionary<string, bool> _cancelled = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly string? _host;

    /// <param name="host">A built BTM host (Btm.Build.dll) to run with dotnet instead of the clone's entry script.</param>
    public BuildOrchestrator(string root, int concurrency, string? host = null)
    {
        Root = root;
        _host = host;
        BuildsDir = Path.Combine(root, ".btm", "service", "builds");
        Directory.CreateDirectory(BuildsDir);
        _store = new BuildStore(Path.Combine(root, ".btm", "service.db"));
        Recover();
        for (var i = 0; i < Math.Max(1, concurrency); i++)
            _workers.Add(Task.Run(Work));
        _wake.Release();
    }

    public string Root { get; }
    public string BuildsDir { get; }
    public BuildStore Store => _store;

    /// <summary>Builds a previous service left running are INTERRUPTED; their processes, if any outlived it, are ended.</summary>
    private void Recover()
    {
        foreach (var build in _store.Live())
        {
            if (build.Pid is { } pid && IsOurs(pid, build.Id))
            {
                try { Process.GetProcessById(pid).Kill(entireProcessTree: true); }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
            }
            _store.Finished(build.Id, BuildState.Interrupted, null, []);
            File.AppendAllText(build.LogPath, $"\n[btm mcp] the service stopped while this build was {build.State}: INTERRUPTED\n");
        }
    }

    /// <summary>Only a process whose command line names this build's summary file is ours to end (pids get reused).</summary>
    private static bool IsOurs(int pid, string id)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains(id, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    public BuildRecord Enqueue(string task, IReadOnlyList<string> packages, IReadOnlyList<string> platforms, string mode, bool force)
    {
        var id = "b" + DateTime.UtcNow.ToString("yyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        var record = new BuildRecord(id, task, packages, platforms, mode, force, BuildState.Queued, null, DateTimeOffset.UtcNow, null, null, null,
            Path.Combine(BuildsDir, id + ".log"), [], null);
        File.WriteAllText(record.LogPath, "");
        _store.Add(record);
        _wake.Release();
        return record;
    }

    /// <summary>The command line a build runs: the clone's own entry script and options.</summary>
    public IReadOnlyList<string> Command(BuildRecord b, bool withSummary = true)
    {
        var args = _host is not null
            ? new List<string> { "dotnet", _host, $"--root={Root}" }
            : [OperatingSystem.IsWindows() ? Path.Combine(Root, "build.ps1") : Path.Combine(Root, "build.sh")];
        args.AddRange([$"--target={b.Task}", $"--mode={b.Mode}"]);
        if (withSummary)
            args.Add($"--summary={SummaryPath(b.Id)}");
        if (b.Packages.Count > 0)
            args.Add("--package=" + string.Join(',', b.Packages));
        if (b.Platforms.Count > 0)
            args.Add("--platform=" + string.Join(',', b.Platforms));
        if (b.Force)
            args.Add("--force");
        return args;
    }

    private string SummaryPath(string id) => Path.Combine(BuildsDir, id + ".summary.json");

    private async Task Work()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(TimeSpan.FromSeconds(2), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            while (!_stop.IsCancellationRequested)
            {
                BuildRecord? next;
                lock (_store)
                {
                    next = _store.NextQueued();
                    if (next is null)
                        break;
                    _store.SetState(next.Id, BuildState.Preparing, $"waiting for the clone's lock ({Root})");
                }
                await _cloneLock.WaitAsync(_stop.Token);
                try
                {
                    Run(next);
                }
                finally
                {
                    _cloneLock.Release();
                }
            }
        }
    }

    private void Run(BuildRecord build)
    {
        if (_cancelled.ContainsKey(build.Id))
        {
            _store.Finished(build.Id, BuildState.Cancelled, null, []);
            return;
        }
        var command = Command(build);
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        using var log = new StreamWriter(build.LogPath, append: true) { AutoFlush = true };
        log.WriteLine($"[btm mcp] {string.Join(' ', command)}");
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.WriteLine($"[btm mcp] could not start {command[0]}: {e.Message}");
            _store.Finished(build.Id, BuildState.Failure, null, []);
            return;
        }
        _running[build.Id] = process;
        _store.Started(build.Id, process.Id);
        process.StandardInput.Close();
        void Line(string? line)
        {
            if (line is null)
                return;
            var plain = System.Text.RegularExpressions.Regex.Replace(line, "\u001b\\[[0-9;]*m", "");
            lock (log)
                log.WriteLine(plain);
            if (plain.StartsWith("==> ", StringComparison.Ordinal))
                _store.SetStep(build.Id, plain[4..].Trim());
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.WaitForExit();
        _running.TryRemove(build.Id, out _);
        if (_cancelled.ContainsKey(build.Id))
        {
            lock (log)
                log.WriteLine("[btm mcp] cancelled: the process tree was ended");
            _store.Finished(build.Id, BuildState.Cancelled, process.ExitCode, []);
            return;
        }
        _store.SetState(build.Id, BuildState.Collecting, "collecting artifacts");
        var artifacts = Artifacts(build);
        lock (log)
            log.WriteLine($"[btm mcp] exit {process.ExitCode}; {artifacts.Count} artifact path(s)");
        _store.Finished(build.Id, process.ExitCode == 0 ? BuildState.Success : BuildState.Failure, process.ExitCode, artifacts);
    }

    /// <summary>Each unit's Final folder from the build's summary, and the release folder when the task packs one.</summary>
    private List<string> Artifacts(BuildRecord build)
    {
        var list = new List<string>();
        var summary = SummaryPath(build.Id);
        if (File.Exists(summary))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(summary));
            foreach (var stage in doc.RootElement.GetProperty("stages").EnumerateArray().Where(s => s.GetProperty("stage").GetString() == "final"))
            {
                var dir = Path.Combine(Root, "packages", stage.GetProperty("package").GetString()!, "build", stage.GetProperty("mode").GetString()!,
                    stage.GetProperty("platform").GetString()!, "out", "Final");
                if (Directory.Exists(dir))
                    list.AddRange(Directory.GetFiles(dir).Order(StringComparer.Ordinal));
            }
        }
        if (build.Task is "Package" or "Release" && Directory.Exists(Path.Combine(Root, "artifacts")))
            list.AddRange(Directory.GetDirectories(Path.Combine(Root, "artifacts")).Where(d => File.Exists(Path.Combine(d, "manifest.json"))).Order(StringComparer.Ordinal));
        return list;
    }

    /// <summary>Ends a build: a queued one never starts, a running one's process tree is ended.</summary>
    public BuildRecord? Cancel(string id)
    {
        var build = _store.Get(id);
        if (build is null || BuildState.Final.Contains(build.State))
            return build;
        _cancelled[id] = true;
        if (build.State == BuildState.Queued)
            _store.Finished(id, BuildState.Cancelled, null, []);
        else if (_running.TryGetValue(id, out var process))
            process.Kill(entireProcessTree: true);
        for (var i = 0; i < 100 && _store.Get(id) is { } b && !BuildState.Final.Contains(b.State); i++)
            Thread.Sleep(100);
        return _store.Get(id);
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var process in _running.Values)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }
    }
}
