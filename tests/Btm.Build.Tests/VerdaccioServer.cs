using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Btm.Build.Tests;

/// <summary>A real verdaccio (from the repo's node_modules) on a free loopback port, with storage in a temp folder.</summary>
public sealed class VerdaccioServer : IDisposable
{
    private readonly string _config;
    private Process? _process;

    public VerdaccioServer(string root, string? forbiddenPackage = null)
    {
        var bin = Path.Combine(Sandbox.RepoRoot, "node_modules", ".bin", "verdaccio");
        if (!File.Exists(bin))
            Assert.Ignore("verdaccio is not installed: run `npm ci` in the repo (test.sh does)");
        Root = Path.Combine(root, "verdaccio");
        Directory.CreateDirectory(Root);
        Port = FreePort();
        var forbidden = forbiddenPackage is null ? "" : $"""
              '{forbiddenPackage}':
                access: $all
                publish: no-one-may-publish-this
                unpublish: no-one-may-publish-this

            """;
        _config = Path.Combine(Root, "config.yaml");
        File.WriteAllText(_config, Btm.Build.Publishing.VerdaccioStorage.Config(Root, forbidden));
        Start();
        using var http = new HttpClient();
        var body = new StringContent("{\"name\": \"tester\", \"password\": \"tester-password\"}", System.Text.Encoding.UTF8, "application/json");
        var response = http.PutAsync($"{Url}/-/user/org.couchdb.user:tester", body).GetAwaiter().GetResult();
        using var doc = JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        Token = doc.RootElement.GetProperty("token").GetString()!;
    }

    public string Root { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public string Token { get; }

    public void Start()
    {
        var start = new ProcessStartInfo(Path.Combine(Sandbox.RepoRoot, "node_modules", ".bin", "verdaccio"),
            ["--config", _config, "--listen", $"127.0.0.1:{Port}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if (http.GetAsync($"{Url}/-/ping").GetAwaiter().GetResult().IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            Thread.Sleep(100);
        }
        Assert.Fail("verdaccio did not start within 30 s");
    }

    /// <summary>
    /// Starts a killed registry again the way its operator would, clearing the package locks of
    /// the writes it was doing (see VerdaccioStorage.RemoveStaleLocks).
    /// </summary>
    public void Restart()
    {
        Kill();
        var locks = Btm.Build.Publishing.VerdaccioStorage.RemoveStaleLocks(Root);
        TestContext.Progress.WriteLine($"verdaccio restarted; removed {locks.Count} stale lock file(s)");
        Start();
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>name@version's integrity and the package's dist-tags, as the registry reports them; null when absent.</summary>
    public (string? Integrity, Dictionary<string, string> Tags) Lookup(string name, string version)
    {
        using var http = new HttpClient();
        var response = http.GetAsync($"{Url}/{name.Replace("/", "%2f")}").GetAwaiter().GetResult();
        if (response.StatusCode == HttpStatusCode.NotFound)
            return (null, []);
        using var doc = JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        var tags = doc.RootElement.TryGetProperty("dist-tags", out var t)
            ? t.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
            : [];
        var integrity = doc.RootElement.TryGetProperty("versions", out var v) && v.TryGetProperty(version, out var ver)
            ? ver.GetProperty("dist").GetProperty("integrity").GetString()
            : null;
        return (integrity, tags);
    }

    public void Dispose() => Kill();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>What the fault proxy does with one request.</summary>
public enum Fault
{
    /// <summary>Forward it and pass the answer back.</summary>
    None,
    /// <summary>Forward it (the registry commits), then answer 500: a lost response.</summary>
    CommitThen500,
    /// <summary>Forward it (the registry commits), then drop the connection halfway through the answer.</summary>
    CommitThenDrop,
    /// <summary>Answer 503 without forwarding: the registry never sees it.</summary>
    Refuse,
    /// <summary>Forward it, then kill the registry before passing the answer back.</summary>
    CommitThenKillRegistry,
    /// <summary>Cut the connection off without forwarding: the registry never sees it, the client never gets a whole answer.</summary>
    Drop,
}

/// <summary>One request as the proxy saw it.</summary>
public sealed record ProxiedRequest(string Method, string Path)
{
    /// <summary>A publish: PUT of a package document (not a dist-tag or user request).</summary>
    public bool IsPublish => Method == "PUT" && Path.StartsWith("/@", StringComparison.Ordinal) && !Path.Contains("/-", StringComparison.Ordinal);

    public bool IsPublishOf(string name) => IsPublish && Uri.UnescapeDataString(Path.TrimStart('/')).Split('?')[0] == name;

    /// <summary>A dist-tag write for <paramref name="tag"/>.</summary>
    public bool IsTagWrite(string tag) => Method == "PUT" && Path.Contains("/dist-tags/", StringComparison.Ordinal) && Path.EndsWith("/" + tag, StringComparison.Ordinal);
}

/// <summary>
/// An HTTP proxy in front of a real registry that injects faults: for each request the rule
/// picks a <see cref="Fault"/> (called once per request, in arrival order).
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new();
    private readonly VerdaccioServer _target;
    private readonly Func<ProxiedRequest, Fault> _rule;
    private readonly List<(ProxiedRequest Request, Fault Fault)> _faulted = [];

    public FaultProxy(VerdaccioServer target, Func<ProxiedRequest, Fault> rule)
    {
        _target = target;
        _rule = rule;
        Port = VerdaccioServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(Loop);
    }

    /// <summary>A rule that applies <paramref name="fault"/> to the first request matching <paramref name="match"/> only.</summary>
    public static Func<ProxiedRequest, Fault> Once(Func<ProxiedRequest, bool> match, Fault fault)
    {
        var done = 0;
        return r => match(r) && Interlocked.Exchange(ref done, 1) == 0 ? fault : Fault.None;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public bool Armed { get; set; } = true;

    public IReadOnlyList<(ProxiedRequest Request, Fault Fault)> Faulted
    {
        get { lock (_faulted) return _faulted.ToList(); }
    }

    private async Task Loop()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => Handle(context));
        }
    }

    private async Task Handle(HttpListenerContext context)
    {
        var seen = new ProxiedRequest(context.Request.HttpMethod, context.Request.RawUrl ?? "/");
        var fault = Armed ? _rule(seen) : Fault.None;
        if (fault != Fault.None)
        {
            lock (_faulted)
                _faulted.Add((seen, fault));
        }
        try
        {
            if (fault == Fault.Refuse)
            {
                context.Response.StatusCode = 503;
                return;
            }
            if (fault == Fault.Drop)
            {
                // HttpListener answers 200 on an Abort before anything was sent, so an answer is
                // started and cut off: to the client, a connection that died before the answer.
                await CutOff(context, "{\""u8.ToArray());
                return;
            }
            var request = new HttpRequestMessage(new HttpMethod(context.Request.HttpMethod), _target.Url + context.Request.RawUrl);
            if (context.Request.HasEntityBody)
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                request.Content = new ByteArrayContent(body.ToArray());
                if (context.Request.ContentType is { } type)
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
            foreach (var name in new[] { "Authorization", "Accept", "npm-command" })
            {
                if (context.Request.Headers[name] is { } value)
                    request.Headers.TryAddWithoutValidation(name, value);
            }
            using var response = await _http.SendAsync(request);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            switch (fault)
            {
                case Fault.CommitThen500:
                    context.Response.StatusCode = 500;
                    return;
                case Fault.CommitThenDrop:
                    // Part of an answer, then a reset: a client may silently resend a request whose
                    // connection died before any byte came back, but never one that got an answer started.
                    await CutOff(context, bytes[..Math.Min(bytes.Length, 10)]);
                    return;
                case Fault.CommitThenKillRegistry:
                    _target.Kill();
                    break;
            }
            context.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } contentType)
                context.Response.ContentType = contentType.ToString();
            await context.Response.OutputStream.WriteAsync(bytes);
        }
        catch (HttpRequestException)
        {
            context.Response.StatusCode = 502;
        }
        finally
        {
            if (fault is not (Fault.CommitThenDrop or Fault.Drop))
                context.Response.Close();
        }
    }

    /// <summary>A 200 that promises more than the few bytes sent, then a reset.</summary>
    private static async Task CutOff(HttpListenerContext context, byte[] start)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentLength64 = 1000;
        await context.Response.OutputStream.WriteAsync(start);
        await context.Response.OutputStream.FlushAsync();
        context.Response.Abort();
    }

    public void Dispose()
    {
        _listener.Stop();
        _http.Dispose();
    }
}
