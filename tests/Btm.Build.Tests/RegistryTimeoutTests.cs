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

        Assert.That(e!.Message, Does.StartWith($"PUT {url} got no answer within 1 s"));
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
