using System.Net;
using System.Net.Sockets;
using Btm.Build.Publishing;

namespace Btm.Build.Tests;

/// <summary>A registry that accepts the connection and never answers (as verdaccio does behind a stale lock).</summary>
public class RegistryTimeoutTests
{
    [Test]
    public void A_request_the_registry_never_answers_fails_naming_the_request()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var http = new HttpClient(new RegistryTimeoutHandler(TimeSpan.FromSeconds(1))) { Timeout = Timeout.InfiniteTimeSpan };
        var url = $"http://127.0.0.1:{port}/-/package/@btm%2falpha/dist-tags/latest";

        var e = Assert.ThrowsAsync<RegistryTimeoutException>(() => http.PutAsync(url, new StringContent("\"0.1.0\"")));

        Assert.That(e!.Message, Does.StartWith($"PUT {url} got no answer within 1 s"));
        Assert.That(e.Message, Does.Contain("run Publish again to resume"));
    }

    [Test]
    public void A_caller_cancellation_stays_a_cancellation()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var http = new HttpClient(new RegistryTimeoutHandler(TimeSpan.FromSeconds(30))) { Timeout = Timeout.InfiniteTimeSpan };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.CatchAsync<OperationCanceledException>(() => http.GetAsync($"http://127.0.0.1:{port}/-/ping", cancel.Token));
    }
}
