using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;

namespace Btm.Build.Tests;

/// <summary>A loopback HTTP server for source archives: each path serves its bytes; anything else is 404. Counts requests.</summary>
public sealed class FileServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private int _requests;

    public FileServer()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(Loop);
    }

    public int Port { get; }
    public int Requests => _requests;

    public string Url(string path) => $"http://127.0.0.1:{Port}/{path}";

    public string Serve(string path, byte[] bytes)
    {
        lock (_files)
            _files[path] = bytes;
        return Url(path);
    }

    private readonly Dictionary<string, Task> _holds = new(StringComparer.Ordinal);

    /// <summary>Serves <paramref name="bytes"/> at <paramref name="path"/>: the first half at once, the rest when <paramref name="release"/> completes.</summary>
    public string ServeHeld(string path, byte[] bytes, Task release)
    {
        lock (_files)
            _holds[path] = release;
        return Serve(path, bytes);
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
            Interlocked.Increment(ref _requests);
            byte[]? bytes;
            Task? hold;
            var path = context.Request.Url!.AbsolutePath.TrimStart('/');
            lock (_files)
            {
                _files.TryGetValue(path, out bytes);
                _holds.TryGetValue(path, out hold);
            }
            context.Response.StatusCode = bytes is null ? 404 : 200;
            if (bytes is not null && hold is not null)
            {
                // Answered on its own, so other requests go on while this one waits.
                _ = Task.Run(async () =>
                {
                    context.Response.ContentLength64 = bytes.Length;
                    await context.Response.OutputStream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                    await context.Response.OutputStream.FlushAsync();
                    await hold;
                    await context.Response.OutputStream.WriteAsync(bytes.AsMemory(bytes.Length / 2));
                    context.Response.Close();
                });
                continue;
            }
            if (bytes is not null)
                await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose() => _listener.Stop();

    /// <summary>A .tar.gz of (path, text, mode) entries; a path ending in '/' is a folder, "link:target" text a symlink.</summary>
    public static byte[] TarGz(params (string Path, string Text, int Mode)[] entries)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (path, text, mode) in entries)
            {
                PaxTarEntry entry;
                if (path.EndsWith('/'))
                    entry = new PaxTarEntry(TarEntryType.Directory, path);
                else if (text.StartsWith("link:", StringComparison.Ordinal))
                    entry = new PaxTarEntry(TarEntryType.SymbolicLink, path) { LinkName = text[5..] };
                else
                    entry = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) };
                entry.Mode = (UnixFileMode)mode;
                tar.WriteEntry(entry);
            }
        }
        return output.ToArray();
    }

    /// <summary>A .tar.gz of regular files, each with the modification time it is given.</summary>
    public static byte[] TarGzTimed(params (string Path, string Text, DateTimeOffset Time)[] entries)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (path, text, time) in entries)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), Mode = (UnixFileMode)0x1A4, ModificationTime = time,
                });
            }
        }
        return output.ToArray();
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
}
