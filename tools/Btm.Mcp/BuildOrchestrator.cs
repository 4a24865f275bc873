using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Mcp;

/// <summary>
/// Runs builds as child processes of this service (the repo's build.sh with an argument list, no
/// shell), from the queue in <see cref="BuildStore"/> that every service instance on the clone
/// shares. One build per clone at a time, across processes: a worker holds the clone's lock
/// (<see cref="CloneLock"/>, which command-line builds take too) before it claims the next queued
/// build, so instances and command-line builds never overlap. One log file per build.
/// </summary>
public sealed class BuildOrchestrator : IDisposable
{
    public static readonly IReadOnlyList<string> Tasks = ["Build", "Test", "Package", "Verify", "Release", "Clean"];

    private readonly BuildStore _store;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<string, Process> _running = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _workers = [];
    private readonly string? _host;
    private readonly int _self = Environment.ProcessId;

    /// <param name="host">A built BTM host (Btm.Build.dll) to run with dotnet instead of the clone's entry script.</param>
    public BuildOrchestrator(string root, int concurrency, string? host = null)
    {
        Root = root;
        _host = host;
        BuildsDir = Path.Combine(root, ".btm", "service", "builds");
        Directory.CreateDirectory(BuildsDir);
        _store = new BuildStore(Path.Combine(root, ".btm", "service.db"));
        Recover();
        // Workers beyond one only wait on the clone lock; they keep a queued build from waiting for a worker.
        for (var i = 0; i < Math.Max(1, concurrency); i++)
            _workers.Add(Task.Run(Work));
        _wake.Release();
    }

    public string Root { get; }
    public string BuildsDir { get; }
    public BuildStore Store => _store;

    /// <summary>
    /// Builds whose owning service is gone (killed, or stopped before it could say) are INTERRUPTED,
    /// with that reason; their processes, if any outlived it, are ended. Builds another live
    /// instance owns are left alone.
    /// </summary>
    private void Recover()
    {
        foreach (var build in _store.Live())
        {
            if (build.Owner is { } owner && owner != _self && IsService(owner))
                continue;
            if (build.Pid is { } pid && IsOurs(pid, build.Id))
            {
                try { Process.GetProcessById(pid).Kill(entireProcessTree: true); }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
            }
            Release(build, $"the service that ran it (pid {build.Owner?.ToString() ?? "unknown"}) is gone; it was {build.State}");
        }
    }

    /// <summary>
    /// A build whose runner stopped: back to the queue when the instance whose client asked for it
    /// still runs (another instance will run it again; stages are atomic, so nothing half-done is
    /// kept), else INTERRUPTED with the reason, in its log too.
    /// </summary>
    private void Release(BuildRecord build, string reason)
    {
        if (build.Requester is { } requester && requester != build.Owner && requester != _self && IsService(requester)
            && _store.Requeue(build.Id, $"queued again: {reason}"))
        {
            File.AppendAllText(build.LogPath, $"\n[btm mcp] queued again: {reason}\n");
            _wake.Release();
            return;
        }
        if (_store.Finished(build.Id, BuildState.Interrupted, null, [], reason))
            File.AppendAllText(build.LogPath, $"\n[btm mcp] INTERRUPTED: {reason}\n");
    }

    /// <summary>A live process that is a BTM MCP service (pids get reused: its command line must say so).</summary>
    private static bool IsService(int pid)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            return cmdline.Contains("mcp");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
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
            Path.Combine(BuildsDir, id + ".log"), [], null) { Requester = _self };
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
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(500), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            // Builds queued by another instance count too: the queue is the database's.
            while (!_stop.IsCancellationRequested && _store.AnyQueued())
            {
                CloneLock held;
                try
                {
                    held = await CloneLock.AcquireAsync(Root, exclusive: true, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                using (held)
                {
                    var next = _store.Claim(_self);
                    if (next is null)
                        break;
                    Run(next);
                }
            }
        }
    }

    private void Run(BuildRecord build)
    {
        var command = Command(build);
        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        foreach (var arg in command.Skip(1))
            start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        // This worker holds the clone lock for the child: the child must not wait for it.
        start.Environment[CloneLock.HeldVariable] = CloneLock.HeldValue(Root);
        using var log = new StreamWriter(new FileStream(build.LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"[btm mcp] {string.Join(' ', command)}");
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log.WriteLine($"[btm mcp] could not start {command[0]}: {e.Message}");
            _store.Finished(build.Id, BuildState.Failure, null, [], $"could not start {command[0]}: {e.Message}");
            return;
        }
        _running[build.Id] = process;
        if (!_store.Started(build.Id, process.Id))
        {
            // Cancelled between the claim and the start.
            End(process);
            process.WaitForExit();
            _running.TryRemove(build.Id, out _);
            log.WriteLine("[btm mcp] cancelled before it started");
            return;
        }
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
        // Another instance's cancel_build reaches this one through the database.
        while (!process.WaitForExit(250))
        {
            if (_store.Get(build.Id) is { CancelRequested: true })
                End(process);
        }
        process.WaitForExit();
        _running.TryRemove(build.Id, out _);
        if (_store.Get(build.Id) is { CancelRequested: true })
        {
            lock (log)
                log.WriteLine("[btm mcp] cancelled: the process tree was ended");
            _store.Finished(build.Id, BuildState.Cancelled, process.ExitCode, [], "cancel_build ended its process tree");
            return;
        }
        // The service is stopping: Dispose says what becomes of the build.
        if (_stop.IsCancellationRequested)
            return;
        _store.SetState(build.Id, BuildState.Collecting, "collecting artifacts");
        var artifacts = Artifacts(build);
        lock (log)
            log.WriteLine($"[btm mcp] exit {process.ExitCode}; {artifacts.Count} artifact path(s)");
        _store.Finished(build.Id, process.ExitCode == 0 ? BuildState.Success : BuildState.Failure, process.ExitCode, artifacts);
    }

    private static void End(Process process)
    {
        try { process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }

    /// <summary>Each unit's Final folder from the build's summary, and the release folder when the task packs one.</summary>
    private List<string> Artifacts(BuildRecord build)
    {
        var list = new List<string>();
        var summary = SummaryPath(build.Id);
        if (File.Exists(summary))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(summary));
            var folders = PackageFolders();
            foreach (var stage in doc.RootElement.GetProperty("stages").EnumerateArray().Where(s => s.GetProperty("stage").GetString() == "final"))
            {
                if (!folders.TryGetValue(stage.GetProperty("package").GetString()!, out var packageDir))
                    continue;
                var dir = Path.Combine(packageDir, "build", stage.GetProperty("mode").GetString()!,
                    stage.GetProperty("platform").GetString()!, "out", "Final");
                if (Directory.Exists(dir))
                    list.AddRange(Directory.GetFiles(dir).Order(StringComparer.Ordinal));
            }
        }
        if (build.Task is "Package" or "Release" && Directory.Exists(Path.Combine(Root, "artifacts")))
            list.AddRange(Directory.GetDirectories(Path.Combine(Root, "artifacts")).Where(d => File.Exists(Path.Combine(d, "manifest.json"))).Order(StringComparer.Ordinal));
        return list;
    }

    /// <summary>Each package's folder, as cake.config's Packages= places it; none when the repo's settings do not load.</summary>
    private Dictionary<string, string> PackageFolders()
    {
        try
        {
            var settings = RepoSettingsReader.Load(Path.Combine(Root, RepoSettings.FileName), RepoSettings.FileName);
            return PackageGraph.Load(Root, Btm.Build.Pipeline.BuilderRegistry.Default.Specs, settings.PackageFolders).TopologicalOrder
                .ToDictionary(p => p.Name, p => p.Directory, StringComparer.Ordinal);
        }
        catch (ConfigException)
        {
            return [];
        }
    }

    /// <summary>
    /// Ends a build, whatever its state and whichever instance runs it: queued or preparing ones at
    /// once; a running one's process tree is ended by its owner (here, or through the database), and
    /// the answer comes when it is final (within seconds).
    /// </summary>
    public BuildRecord? Cancel(string id)
    {
        var build = _store.Get(id);
        if (build is null || BuildState.Final.Contains(build.State))
            return build;
        if (_store.CancelNow(id, "cancel_build before it ran"))
        {
            File.AppendAllText(build.LogPath, "[btm mcp] cancelled before it ran\n");
            return _store.Get(id);
        }
        _store.RequestCancel(id);
        if (_running.TryGetValue(id, out var process))
            End(process);
        for (var i = 0; i < 100 && _store.Get(id) is { } b && !BuildState.Final.Contains(b.State); i++)
            Thread.Sleep(100);
        return _store.Get(id);
    }

    /// <summary>
    /// The service stops (a stdio client went away, Ctrl-C, SIGTERM): its running builds' processes
    /// end and each build ends INTERRUPTED with the reason, never left RUNNING or COLLECTING.
    /// </summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
            return;
        _stop.Cancel();
        foreach (var process in _running.Values)
            End(process);
        Task.WaitAll([.. _workers], TimeSpan.FromSeconds(10));
        foreach (var build in _store.Live().Where(b => b.Owner == _self))
            Release(build, "the service stopped while it ran");
    }
}
