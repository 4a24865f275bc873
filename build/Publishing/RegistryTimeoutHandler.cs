namespace Btm.Build.Publishing;

/// <summary>
/// Gives each registry request its own deadline and, when it passes, an error naming the request:
/// HttpClient's own timeout says only "the request was canceled", which tells a release engineer
/// nothing about which package or tag hung.
/// </summary>
public sealed class RegistryTimeoutHandler(TimeSpan timeout) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var response = await base.SendAsync(request, deadline.Token);
            // Buffer the body under the same deadline, so a registry that stalls mid-answer is caught here too.
            await response.Content.LoadIntoBufferAsync(deadline.Token);
            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryTimeoutException(
                $"{request.Method} {request.RequestUri} got no answer within {timeout.TotalSeconds:0} s; "
                + "the registry is overloaded or stuck (check its logs), then run Publish again to resume");
        }
    }
}

/// <summary>A registry request passed its deadline.</summary>
public sealed class RegistryTimeoutException(string message) : HttpRequestException(message);
