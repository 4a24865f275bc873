using Btm.Core;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Btm.Build.Pipeline;
using Btm.Core.IO;

namespace Btm.Build.Publishing;

/// <summary>
/// The default registry: a verdaccio from the repo's package-lock.json, listening on 127.0.0.1,
/// storing under artifacts/registry/, so what a release published can be installed afterwards.
/// </summary>
public sealed class LocalRegistry : IDisposable
{
    private readonly Process _process;
    private readonly FileStream _ownership;
    private readonly StringBuilder _log = new();

    private LocalRegistry(Process process, FileStream ownership, string url, string storageRoot)
    {
        _process = process;
        _ownership = ownership;
        Url = url;
        StorageRoot = storageRoot;
    }

    public string Url { get; }
    public string StorageRoot { get; }

    public static string Root(BuildContext context) => Path.Combine(context.RepoRoot, "artifacts", "registry");

    /// <summary>Starts verdaccio (running `npm ci` first when node_modules is missing) and waits until it answers.</summary>
    /// <param name="reset">Empty its storage first (every package and version gone), under the ownership lock.</param>
    public static LocalRegistry Start(BuildContext context, int port = 0, bool reset = false)
    {
        var entry = Path.Combine(context.RepoRoot, "node_modules", "verdaccio", "bin", "verdaccio");
        var node = context.ToolLookup.Find("node") ?? throw new BuildFailedException($"node is needed for the local registry: {NodeTools.Advice(context.RepoRoot)}");
        if (!File.Exists(entry) && (!NodeTools.Install(context) || !File.Exists(entry)))
            throw new BuildFailedException($"verdaccio is not available: `npm ci` in the repo installs it from package-lock.json ({NodeTools.Advice(context.RepoRoot)})");
        var root = Root(context);
        Directory.CreateDirectory(Path.Combine(root, "storage"));
        var ownership = TakeOwnership(context, root);
        if (reset)
        {
            var storage = Path.Combine(root, "storage");
            var names = Directory.EnumerateFiles(storage, "package.json", SearchOption.AllDirectories).Count();
            // Renamed first, so a kill mid-delete leaves an empty registry, never a half-deleted package.
            var doomed = storage + ".reset-" + Guid.NewGuid().ToString("N")[..8];
            Directory.Move(storage, doomed);
            Directory.CreateDirectory(storage);
            Directory.Delete(doomed, recursive: true);
            foreach (var leftover in Directory.EnumerateDirectories(root, "storage.reset-*"))
                Directory.Delete(leftover, recursive: true);
            Btm.Cake.Logging.BtmLog.Success(context, $"emptied the local registry ({names} package(s) removed from {Path.GetRelativePath(context.RepoRoot, storage)})");
        }
        var config = Path.Combine(root, "config.yaml");
        AtomicFile.WriteAllBytes(config, Encoding.UTF8.GetBytes(VerdaccioStorage.Config(root)));
        port = port == 0 ? FreePort() : port;
        var url = $"http://127.0.0.1:{port}";
        // verdaccio runs inside a node that exits when its stdin closes: stdin is a pipe from this
        // process, so the registry dies with its owner however the owner ends, SIGKILL included.
        var start = new ProcessStartInfo(node)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var a in new[] { "-e", OwnedLauncher, entry, "--config", config, "--listen", $"127.0.0.1:{port}" })
            start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new BuildFailedException("could not start verdaccio");
        }
        catch
        {
            ownership.Dispose();
            throw;
        }
        AtomicFile.WriteAllBytes(Path.Combine(root, ServerFile), Encoding.UTF8.GetBytes($"{process.Id}\n"));
        var registry = new LocalRegistry(process, ownership, url, root);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (registry._log) registry._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (registry._log) registry._log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        registry.WaitUntilUp();
        return registry;
    }

    /// <summary>Runs verdaccio's own entry point in this node, and exits when stdin ends (the owner is gone).</summary>
    private const string OwnedLauncher =
        "const entry = process.argv[1];" +
        "process.argv = [process.argv[0], entry, ...process.argv.slice(2)];" +
        "const gone = () => process.exit(0);" +
        "process.stdin.on('end', gone); process.stdin.on('close', gone); process.stdin.on('error', gone); process.stdin.resume();" +
        "require(entry);";

    public static bool ServesFrom(int pid, string root)
    {
        try
        {
            return OperatingSystem.IsLinux()
                && new DirectoryInfo($"/proc/{pid}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName == Path.GetFullPath(root);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The pid of the registry process this storage was last served by.</summary>
    private const string ServerFile = ".server.pid";

    /// <summary>
    /// One BTM run at a time owns the local registry's storage. Holding it also proves that any
    /// package.json.lock left in storage is from a verdaccio that was killed mid-write, so they
    /// are removed here.
    /// </summary>
    private static FileStream TakeOwnership(BuildContext context, string root)
    {
        FileStream ownership;
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix and a share lock on Windows.
            ownership = new FileStream(Path.Combine(root, ".owner.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new BuildFailedException(
                $"another BTM run is using the local registry in {root} (a Release or Registry target): wait for it or stop it, then run again");
        }
        StopLeftover(context, root);
        foreach (var stale in VerdaccioStorage.RemoveStaleLocks(root))
            Btm.Cake.Logging.BtmLog.Warn(context, $"removed {stale}, left by a local registry that was stopped mid-write");
        return ownership;
    }

    /// <summary>
    /// A registry still serving this storage while nobody owns it was left by a run that could
    /// not stop it: holding the ownership lock proves it is nobody's, so it is stopped.
    /// </summary>
    private static void StopLeftover(BuildContext context, string root)
    {
        var file = Path.Combine(root, ServerFile);
        if (!File.Exists(file) || !int.TryParse(File.ReadAllText(file).Trim(), out var pid))
            return;
        File.Delete(file);
        Process leftover;
        try
        {
            leftover = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return;
        }
        using (leftover)
        {
            // The pid may have been reused: only a process working in this very storage is ours to
            // stop (verdaccio rewrites its command line, so the working directory is the mark).
            if (!ServesFrom(pid, root))
                return;
            leftover.Kill(entireProcessTree: true);
            leftover.WaitForExit(5000);
            Btm.Cake.Logging.BtmLog.Warn(context, $"stopped a local registry (pid {pid}) left serving {root} by a run that ended without stopping it");
        }
    }

    private void WaitUntilUp()
    {
        using var client = new RegistryClient(Url, null);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new BuildFailedException($"verdaccio exited with code {_process.ExitCode}:\n{Log}");
            if (client.PingAsync().GetAwaiter().GetResult() is null)
                return;
            Thread.Sleep(100);
        }
        Dispose();
        throw new BuildFailedException($"verdaccio did not answer on {Url} within 30 s:\n{Log}");
    }

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>
    /// A token for this storage: the one saved at artifacts/registry/.token (0600), else a new user's.
    /// Verdaccio refuses to register a name twice, so a lost token means a new user.
    /// </summary>
    public string Token(BuildContext context)
    {
        var tokenFile = Path.Combine(StorageRoot, ".token");
        using var client = new RegistryClient(Url, null);
        if (File.Exists(tokenFile))
        {
            var saved = File.ReadAllText(tokenFile).Trim();
            using var probe = new RegistryClient(Url, saved);
            try
            {
                probe.WhoAmIAsync().GetAwaiter().GetResult();
                return saved;
            }
            catch (RegistryException)
            {
                // Storage reset or token expired: register a new user below.
            }
        }
        var user = "btm-" + Guid.NewGuid().ToString("N")[..8];
        var token = client.AddUserAsync(user, Guid.NewGuid().ToString("N")).GetAwaiter().GetResult();
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(tokenFile, Encoding.UTF8, options))
            file.Write(token);
        Btm.Cake.Logging.BtmLog.Detail(context, $"created local registry user {user}");
        return token;
    }

    public void WaitForExit() => _process.WaitForExit();

    public void Dispose()
    {
        File.Delete(Path.Combine(StorageRoot, ServerFile));
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        _ownership.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
