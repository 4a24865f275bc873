using System.Net;

namespace Btm.Build.Publishing;

/// <summary>
/// Gives each registry request its own deadline and, when it passes, an error naming the request:
/// HttpClient's own timeout says only "the request was canceled", which tells a release engineer
/// nothing about which package or tag hung. A body being sent (a publish carries the tarball,
/// tens of MB for a program with its runtime) is never cut off while it moves: the deadline counts
/// from its last write, and once it is all sent the registry gets the deadline plus a second per
/// MiB to store it and answer, as a slow uplink or a busy registry needs.
/// </summary>
public sealed class RegistryTimeoutHandler(TimeSpan timeout) : DelegatingHandler(new SocketsHttpHandler())
{
    private const double SecondsPerMiB = 1;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        ProgressContent? body = null;
        if (request.Content is { } content)
            request.Content = body = new ProgressContent(content, () => deadline.CancelAfter(timeout),
                sent => deadline.CancelAfter(AnswerDeadline(sent)));
        try
        {
            var response = await base.SendAsync(request, deadline.Token);
            // Buffer the body under the same deadline, so a registry that stalls mid-answer is caught here too.
            await response.Content.LoadIntoBufferAsync(deadline.Token);
            return response;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var what = body is null || body.Done
                ? $"got no answer within {AnswerDeadline(body?.Sent ?? 0).TotalSeconds:0} s" + (body is { Sent: > 0 } ? $" after its body ({Size(body.Sent)}) was sent" : "")
                : $"stopped taking its body: nothing more was sent for {timeout.TotalSeconds:0} s ({Size(body.Sent)} of {(body.Length is { } l ? Size(l) : "an unknown size")} sent)";
            throw new RegistryTimeoutException($"{request.Method} {request.RequestUri} {what}; "
                + "the registry is overloaded or stuck (check its logs), or the network is, then run Publish again to resume");
        }
    }

    private TimeSpan AnswerDeadline(long sent) => timeout + TimeSpan.FromSeconds(SecondsPerMiB * sent / (1 << 20));

    private static string Size(long bytes) => bytes < 1 << 20 ? $"{bytes} bytes" : $"{bytes / (double)(1 << 20):0.#} MiB";

    /// <summary>The request's content, written in chunks that each say they moved.</summary>
    private sealed class ProgressContent : HttpContent
    {
        private readonly HttpContent inner;
        private readonly Action moved;
        private readonly Action<long> finished;

        public ProgressContent(HttpContent inner, Action moved, Action<long> finished)
        {
            this.inner = inner;
            this.moved = moved;
            this.finished = finished;
            foreach (var header in inner.Headers.Where(h => !h.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)))
                Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        public long Sent { get; private set; }

        public bool Done { get; private set; }

        public long? Length => inner.Headers.ContentLength;

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var source = await inner.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                Sent += read;
                moved();
            }
            Done = true;
            finished(Sent);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>A registry request passed its deadline.</summary>
public sealed class RegistryTimeoutException(string message) : HttpRequestException(message);
