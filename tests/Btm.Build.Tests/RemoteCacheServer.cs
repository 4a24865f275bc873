using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Btm.Build.Tests;

/// <summary>
/// The real turborepo-remote-cache (from the repo's node_modules) on a free loopback port, storing
/// in a temp folder: <c>&lt;Storage&gt;/&lt;team&gt;/&lt;hash&gt;</c>.
/// </summary>
public sealed class RemoteCacheServer : IDisposable
{
    public const string Team = "btm-tests";
    private readonly string? _signatureKey;
    private Process? _process;

    public RemoteCacheServer(string root, string token = "test-token", string? signatureKey = null)
    {
        Cli = Path.Combine(Sandbox.RepoRoot, "node_modules", "turborepo-remote-cache", "dist", "cli.js");
        if (!File.Exists(Cli))
            Assert.Ignore("turborepo-remote-cache is not installed: run `npm ci` in the repo (test.sh does)");
        Token = token;
        _signatureKey = signatureKey;
        Storage = Path.Combine(root, "remote-cache");
        Directory.CreateDirectory(Storage);
        Port = VerdaccioServer.FreePort();
        Start();
    }

    private string Cli { get; }
    public string Storage { get; }
    public int Port { get; }
    public string Token { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public Process Process => _process!;

    /// <summary>Every stored artifact (tags, kept as <c>&lt;hash&gt;.tag</c> files by some versions, left out).</summary>
    public IReadOnlyList<string> Artifacts =>
        Directory.Exists(Path.Combine(Storage, Team))
            ? Directory.GetFiles(Path.Combine(Storage, Team)).Where(f => !f.EndsWith(".tag", StringComparison.Ordinal)).Order().ToList()
            : [];

    /// <summary>The variables a build uses to reach this server.</summary>
    public Dictionary<string, string?> Environment(string? url = null, string? token = null) => new()
    {
        ["BTM_REMOTE_CACHE_URL"] = url ?? Url, ["BTM_REMOTE_CACHE_TOKEN"] = token ?? Token, ["BTM_REMOTE_CACHE_TEAM"] = Team,
        ["BTM_REMOTE_CACHE_SIGNATURE_KEY"] = _signatureKey,
    };

    public void Start()
    {
        var start = new ProcessStartInfo("node", [Cli]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["TURBO_TOKEN"] = Token;
        start.Environment["STORAGE_PROVIDER"] = "local";
        start.Environment["STORAGE_PATH"] = Storage;
        start.Environment["STORAGE_PATH_USE_TMP_FOLDER"] = "false";
        start.Environment["HOST"] = "127.0.0.1";
        start.Environment["PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (_signatureKey is not null)
            start.Environment["TURBO_REMOTE_CACHE_SIGNATURE_KEY"] = _signatureKey;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
            }
            Thread.Sleep(100);
        }
        Assert.Fail("turborepo-remote-cache did not start within 30 s");
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public void Dispose() => Kill();
}

/// <summary>
/// A TCP pump in front of a server that kills it once the first PUT has sent
/// <paramref name="killAfter"/> bytes, then cuts the client off: a server dying mid-upload.
/// </summary>
public sealed class KillMidUploadProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly RemoteCacheServer _target;
    private readonly long _killAfter;
    private int _killed;

    public KillMidUploadProxy(RemoteCacheServer target, long killAfter)
    {
        _target = target;
        _killAfter = killAfter;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(Loop);
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public bool Killed => Volatile.Read(ref _killed) == 1;

    private async Task Loop()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => Pump(client));
        }
    }

    private async Task Pump(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _target.Port);
            }
            catch (SocketException)
            {
                return;
            }
            var down = upstream.GetStream().CopyToAsync(client.GetStream());
            var from = client.GetStream();
            var to = upstream.GetStream();
            var buffer = new byte[8192];
            long sent = 0;
            var isPut = false;
            try
            {
                int read;
                while ((read = await from.ReadAsync(buffer)) > 0)
                {
                    // Requests on a kept-alive connection start at a read boundary (headers are one write).
                    if (read >= 4 && buffer[0] == 'P' && buffer[1] == 'U' && buffer[2] == 'T' && buffer[3] == ' ')
                    {
                        isPut = true;
                        sent = 0;
                    }
                    else if (read >= 4 && buffer[0] == 'G' && buffer[1] == 'E' && buffer[2] == 'T' && buffer[3] == ' ')
                    {
                        isPut = false;
                    }
                    var take = isPut && !Killed ? (int)Math.Min(read, Math.Max(0, _killAfter - sent)) : read;
                    await to.WriteAsync(buffer.AsMemory(0, take));
                    sent += take;
                    if (isPut && sent >= _killAfter && Interlocked.Exchange(ref _killed, 1) == 0)
                    {
                        await to.FlushAsync();
                        await Task.Delay(200); // the server has read and stored what it got
                        _target.Kill();
                        client.Client.LingerState = new LingerOption(true, 0); // a reset, as a dead peer gives
                        return;
                    }
                }
                await down;
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose() => _listener.Stop();
}
