using System.Net;
using System.Net.Sockets;
using Btm.Build.Publishing;

namespace Btm.Build.Tests;

/// <summary>A registry that accepts the connection and never answers (as verdaccio does behind a stale lock).</summary>
public class RegistryTimeoutTests
{
    private static (TcpListener Silent, int Port) SilentRegistry()
    {
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        return (silent, ((IPEndPoint)silent.LocalEndpoint).Port);
    }

    private static HttpClient Client(TimeSpan deadline) =>
        new(new RegistryTimeoutHandler(deadline)) { Timeout = Timeout.InfiniteTimeSpan };

    [Test]
    public void A_request_the_registry_never_answers_fails_naming_the_request()
    {
        var (silent, port) = SilentRegistry();
        using var _ = silent;
        using var http = Client(TimeSpan.FromSeconds(1));
        var url = $"http://127.0.0.1:{port}/-/package/@btm%2falpha/dist-tags/latest";

        var e = Assert.ThrowsAsync<RegistryTimeoutException>(() => http.PutAsync(url, new StringContent("\"0.1.0\"")));

        Assert.That(e!.Message, Does.StartWith($"PUT {url} got no answer within 1 s after its body (7 bytes) was sent"));
        Assert.That(e.Message, Does.Contain("run Publish again to resume"));
    }

    /// <summary>
    /// A registry that reads a request's body at <paramref name="bytesPerSecond"/> (stopping after
    /// <paramref name="stopAfter"/> bytes, if given) and answers 200 once it has all of it.
    /// </summary>
    private static (Task Server, int Port) SlowReader(TcpListener listener, int bytesPerSecond, long? stopAfter = null)
    {
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var head = new List<byte>();
            while (head.Count < 4 || !head.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
                head.Add((byte)stream.ReadByte());
            var text = System.Text.Encoding.ASCII.GetString(head.ToArray());
            var length = long.Parse(System.Text.RegularExpressions.Regex.Match(text, @"Content-Length: (\d+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase).Groups[1].Value);
            var buffer = new byte[bytesPerSecond / 10];
            for (long got = 0; got < length;)
            {
                if (stopAfter is { } stop && got >= stop)
                {
                    await Task.Delay(Timeout.Infinite).WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { });
                    return;
                }
                var tick = (int)Math.Min(buffer.Length, length - got);
                await stream.ReadExactlyAsync(buffer.AsMemory(0, tick));
                got += tick;
                await Task.Delay(100);
            }
            await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"u8.ToArray());
        });
        return (server, port);
    }

    [Test]
    public void A_large_body_the_registry_takes_slowly_is_not_cut_off_while_it_moves()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var _ = listener;
        // 16 MiB at 4 MiB/s: twice the deadline, every chunk of it moving.
        var (server, port) = SlowReader(listener, 4 << 20);
        using var http = Client(TimeSpan.FromSeconds(2));
        using var response = http.PutAsync($"http://127.0.0.1:{port}/@btm%2fbig", new ByteArrayContent(new byte[16 << 20])).GetAwaiter().GetResult();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(server.Wait(TimeSpan.FromSeconds(10)), Is.True);
    }

    [Test]
    public void A_body_the_registry_stops_taking_fails_saying_how_much_was_sent()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var _ = listener;
        var (_, port) = SlowReader(listener, 4 << 20, stopAfter: 1 << 20);
        using var http = Client(TimeSpan.FromSeconds(1));
        var url = $"http://127.0.0.1:{port}/@btm%2fbig";

        var e = Assert.ThrowsAsync<RegistryTimeoutException>(() => http.PutAsync(url, new ByteArrayContent(new byte[64 << 20])));

        Assert.That(e!.Message, Does.Match($@"^PUT {System.Text.RegularExpressions.Regex.Escape(url)} stopped taking its body: nothing more was sent for 1 s \([\d.]+ MiB of 64 MiB sent\)"));
        Assert.That(e.Message, Does.Contain("run Publish again to resume"));
    }

    [Test]
    public void A_caller_cancellation_stays_a_cancellation()
    {
        var (silent, port) = SilentRegistry();
        using var _ = silent;
        using var http = Client(TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.CatchAsync<OperationCanceledException>(() => http.GetAsync($"http://127.0.0.1:{port}/-/ping", cancel.Token));
    }
}
