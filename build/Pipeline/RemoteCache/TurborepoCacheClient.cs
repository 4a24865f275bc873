using System.Net;
using System.Net.Http.Headers;

namespace Btm.Build.Pipeline.RemoteCache;

/// <summary>A request to the cache that failed: the run goes on without the cache.</summary>
public sealed class RemoteCacheException(string message) : Exception(message);

/// <summary>
/// The Turborepo Remote Cache API, v8: <c>GET</c> and <c>PUT /v8/artifacts/{hash}?teamId=…</c> with a
/// bearer token and an optional <c>x-artifact-tag</c>. Each request has its own deadline.
/// </summary>
public sealed class TurborepoCacheClient(RemoteCacheSettings settings) : IDisposable
{
    public const string TagHeader = "x-artifact-tag";

    private readonly HttpClient _http = new(new SocketsHttpHandler { ConnectTimeout = settings.Timeout, AllowAutoRedirect = true })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private Uri ArtifactUri(string hash)
    {
        var path = settings.Url.AbsolutePath.TrimEnd('/') + "/v8/artifacts/" + Uri.EscapeDataString(hash);
        var query = settings.Team is null ? "" : "?teamId=" + Uri.EscapeDataString(settings.Team);
        return new UriBuilder(settings.Url) { Path = path, Query = query }.Uri;
    }

    private HttpRequestMessage Request(HttpMethod method, string hash)
    {
        var request = new HttpRequestMessage(method, ArtifactUri(hash));
        if (settings.Token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
        return request;
    }

    /// <summary>Downloads an artifact into <paramref name="destination"/>; false when the cache has none.</summary>
    /// <returns>Whether it was found, and its tag header.</returns>
    public (bool Found, string? Tag) Get(string hash, Stream destination)
    {
        using var deadline = new CancellationTokenSource(settings.Timeout);
        return Send("GET", deadline, () =>
        {
            using var response = _http.Send(Request(HttpMethod.Get, hash), HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            if (response.StatusCode == HttpStatusCode.NotFound)
                return (false, null);
            Check(response, "GET");
            using (var body = response.Content.ReadAsStream(deadline.Token))
                body.CopyTo(destination);
            var tag = response.Headers.TryGetValues(TagHeader, out var tags) ? tags.FirstOrDefault() : null;
            return (true, tag);
        });
    }

    public void Put(string hash, Stream body, string? tag)
    {
        using var deadline = new CancellationTokenSource(settings.Timeout);
        Send("PUT", deadline, () =>
        {
            var request = Request(HttpMethod.Put, hash);
            request.Content = new StreamContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentLength = body.Length - body.Position;
            if (tag is not null)
                request.Headers.TryAddWithoutValidation(TagHeader, tag);
            using var response = _http.Send(request, deadline.Token);
            Check(response, "PUT");
            return true;
        });
    }

    private T Send<T>(string verb, CancellationTokenSource deadline, Func<T> send)
    {
        try
        {
            return send();
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new RemoteCacheException($"{verb} got no answer within {settings.Timeout.TotalSeconds:0.#} s ({Redacted()})");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new RemoteCacheException($"{verb} failed: {Innermost(e)} ({Redacted()})");
        }
    }

    private void Check(HttpResponseMessage response, string verb)
    {
        if (response.IsSuccessStatusCode)
            return;
        var status = (int)response.StatusCode;
        var hint = status switch
        {
            401 or 403 => $": the cache refused the token; check {RemoteCacheSettings.TokenVariable} (and {RemoteCacheSettings.TeamVariable})",
            400 when settings.Team is null => $": this cache wants a team; set {RemoteCacheSettings.TeamVariable}",
            _ => "",
        };
        throw new RemoteCacheException($"{verb} answered {status} {response.ReasonPhrase}{hint} ({Redacted()})");
    }

    private string Redacted() => settings.Url.GetLeftPart(UriPartial.Path).TrimEnd('/');

    private static string Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e.Message;
    }

    public void Dispose() => _http.Dispose();
}
