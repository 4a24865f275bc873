using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Btm.Core;

namespace Btm.Build.Publishing;

/// <summary>What the registry says about one name@version, and how many versions the package has in all.</summary>
public sealed record PublishedVersion(bool Exists, string? Integrity, string? Deprecated, int VersionCount = 0);

/// <summary>
/// The one port to an npm registry, over HTTP with the requests the npm CLI sends: ping, whoami,
/// packuments, publish, dist-tag set and remove, unpublish, deprecate. Publish, rollback, dry runs
/// and Verify all go through it; registry metadata is the source of truth for what is published.
/// Every failure is a <see cref="RegistryException"/> naming the request.
/// </summary>
public sealed class RegistryClient(string registryUrl, string? token) : IDisposable
{
    private readonly HttpClient _http = Create(token);

    public string Url { get; } = registryUrl.TrimEnd('/');

    private static HttpClient Create(string? token)
    {
        var http = new HttpClient(new RegistryTimeoutHandler(TimeSpan.FromSeconds(30))) { Timeout = Timeout.InfiniteTimeSpan };
        if (token is not null)
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return http;
    }

    /// <summary>Null when the registry answers; otherwise why not.</summary>
    public async Task<string?> PingAsync()
    {
        try
        {
            using var response = await _http.GetAsync($"{Url}/-/ping");
            return response.IsSuccessStatusCode ? null : $"GET {Url}/-/ping answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (HttpRequestException e)
        {
            return $"{Url} does not answer ({e.Message})";
        }
    }

    public async Task<(PublishedVersion Version, IReadOnlyDictionary<string, string> Tags)> VersionAsync(string name, string version)
    {
        var packument = await PackumentAsync(name, write: false);
        if (packument is null)
            return (new PublishedVersion(false, null, null), new Dictionary<string, string>());
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (packument["dist-tags"] is JsonObject distTags)
        {
            foreach (var (tag, value) in distTags)
                tags[tag] = value?.GetValue<string>() ?? "";
        }
        var versions = packument["versions"] as JsonObject;
        var count = versions?.Count ?? 0;
        if (versions?[version] is not JsonObject v)
            return (new PublishedVersion(false, null, null, count), tags);
        var integrity = v["dist"]?["integrity"]?.GetValue<string>();
        var deprecated = v["deprecated"] is JsonValue d && d.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
        return (new PublishedVersion(true, integrity, deprecated, count), tags);
    }

    public Task SetDistTagAsync(string name, string tag, string version) =>
        SendAsync(HttpMethod.Put, $"{Url}/-/package/{Escape(name)}/dist-tags/{Uri.EscapeDataString(tag)}", Json(JsonSerializer.Serialize(version)),
            $"tagging {name}@{version} as {tag}");

    public Task RemoveDistTagAsync(string name, string tag) =>
        SendAsync(HttpMethod.Delete, $"{Url}/-/package/{Escape(name)}/dist-tags/{Uri.EscapeDataString(tag)}", null,
            $"removing tag {tag} from {name}", allowNotFound: true);

    /// <summary>
    /// Publishes a tarball exactly as it is, with the request `npm publish` sends (libnpmpublish):
    /// the version manifest from the tarball's package.json plus dist fields, and the tarball
    /// itself as a base64 attachment.
    /// </summary>
    public async Task PublishAsync(string tarballPath, string packageJson, string integrity, string tag, string access)
    {
        var tarball = await File.ReadAllBytesAsync(tarballPath);
        var manifest = JsonNode.Parse(packageJson)!.AsObject();
        var name = manifest["name"]!.GetValue<string>();
        var version = manifest["version"]!.GetValue<string>();
        manifest["_id"] = $"{name}@{version}";
        manifest["dist"] = new JsonObject
        {
            ["integrity"] = integrity,
            ["shasum"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(tarball)),
            ["tarball"] = $"{Url}/{name}/-/{Unscoped(name)}-{version}.tgz",
        };
        var document = new JsonObject
        {
            ["_id"] = name,
            ["name"] = name,
            ["description"] = manifest["description"]?.DeepClone(),
            ["dist-tags"] = new JsonObject { [tag] = version },
            ["versions"] = new JsonObject { [version] = manifest },
            ["access"] = access,
            ["_attachments"] = new JsonObject
            {
                [$"{name}-{version}.tgz"] = new JsonObject
                {
                    ["content_type"] = "application/octet-stream",
                    ["data"] = Convert.ToBase64String(tarball),
                    ["length"] = tarball.Length,
                },
            },
        };
        await SendAsync(HttpMethod.Put, $"{Url}/{Escape(name)}", Json(document.ToJsonString()), $"publishing {name}@{version}",
            headers: ("npm-command", "publish"));
    }

    /// <summary>
    /// Removes name@version as `npm unpublish name@version` does: the packument without that
    /// version is written back, then the tarball is deleted. The last version, or
    /// <paramref name="version"/> null, removes the whole package.
    /// </summary>
    public async Task UnpublishAsync(string name, string? version)
    {
        var packument = await PackumentAsync(name, write: true);
        if (packument is null)
            return;
        var rev = packument["_rev"]?.GetValue<string>() ?? "0";
        var versions = packument["versions"] as JsonObject ?? [];
        if (version is not null && !versions.ContainsKey(version))
            return;
        if (version is null || versions.Count <= 1)
        {
            await SendAsync(HttpMethod.Delete, $"{Url}/{Escape(name)}/-rev/{Uri.EscapeDataString(rev)}", null, $"unpublishing {name}", allowNotFound: true);
            return;
        }
        var tarball = versions[version]?["dist"]?["tarball"]?.GetValue<string>();
        versions.Remove(version);
        if (packument["dist-tags"] is JsonObject tags)
        {
            foreach (var tag in tags.Where(t => t.Value?.GetValue<string>() == version).Select(t => t.Key).ToList())
                tags.Remove(tag);
            if (!tags.ContainsKey("latest"))
                tags["latest"] = versions.Last().Key;
        }
        (packument["time"] as JsonObject)?.Remove(version);
        await SendAsync(HttpMethod.Put, $"{Url}/{Escape(name)}/-rev/{Uri.EscapeDataString(rev)}", Json(packument.ToJsonString()),
            $"unpublishing {name}@{version}");
        if (tarball is null)
            return;
        var after = await PackumentAsync(name, write: true);
        var newRev = after?["_rev"]?.GetValue<string>() ?? rev;
        await SendAsync(HttpMethod.Delete,
            $"{Url}/{Escape(name)}/-/{Uri.EscapeDataString(Path.GetFileName(new Uri(tarball).AbsolutePath))}/-rev/{Uri.EscapeDataString(newRev)}",
            null, $"deleting the tarball of {name}@{version}", allowNotFound: true);
    }

    /// <summary>Marks name@version deprecated as `npm deprecate` does; an empty message clears it.</summary>
    public async Task DeprecateAsync(string name, string version, string message)
    {
        var packument = await PackumentAsync(name, write: true)
            ?? throw new RegistryException(404, $"deprecating {name}@{version}: {Url} has no package {name}");
        if (packument["versions"]?[version] is not JsonObject v)
            throw new RegistryException(404, $"deprecating {name}@{version}: {Url} has no such version");
        v["deprecated"] = message;
        packument.Remove("_attachments");
        await SendAsync(HttpMethod.Put, $"{Url}/{Escape(name)}", Json(packument.ToJsonString()), $"deprecating {name}@{version}");
    }

    /// <summary>The user the registry sees for this token (npm whoami's own request).</summary>
    public async Task<string> WhoAmIAsync()
    {
        var text = await SendAsync(HttpMethod.Get, $"{Url}/-/whoami", null, "asking who the token belongs to");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.TryGetProperty("username", out var u) && u.GetString() is { Length: > 0 } name
            ? name
            : throw new RegistryException(401, $"GET {Url}/-/whoami: no user for these credentials");
    }

    /// <summary>Registers a user (verdaccio's adduser) and returns its token.</summary>
    public async Task<string> AddUserAsync(string user, string password)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = user, ["password"] = password });
        var text = await SendAsync(HttpMethod.Put, $"{Url}/-/user/org.couchdb.user:{Uri.EscapeDataString(user)}", Json(json), $"creating registry user {user}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>The package's metadata document, or null when the registry has no such package.</summary>
    public async Task<JsonObject?> PackumentAsync(string name, bool write = false)
    {
        var url = $"{Url}/{Escape(name)}" + (write ? "?write=true" : "");
        var text = await SendAsync(HttpMethod.Get, url, null, $"reading {name}", allowNotFound: true);
        return text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>One request; a transport failure, a deadline or an error status becomes a <see cref="RegistryException"/>.</summary>
    private async Task<string> SendAsync(HttpMethod method, string url, HttpContent? content, string what, bool allowNotFound = false,
        (string Name, string Value)? headers = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        if (headers is { } h)
            request.Headers.Add(h.Name, h.Value);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (RegistryTimeoutException e)
        {
            throw new RegistryException(0, $"{what}: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException(0, $"{what}: {method} {url} got no answer ({e.Message})", e);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
                return body;
            if (allowNotFound && response.StatusCode == HttpStatusCode.NotFound)
                return "";
            throw new RegistryException((int)response.StatusCode, $"{what}: {method} {url} answered {(int)response.StatusCode}: {ErrorText(body)}");
        }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string ErrorText(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("error", out var e))
                return e.GetString() ?? body;
        }
        catch (JsonException)
        {
        }
        return body.Trim();
    }

    // Scoped names keep their '@' and escape the '/': @scope%2fname.
    private static string Escape(string name) => name.Replace("/", "%2f");

    private static string Unscoped(string name) => name.Contains('/') ? name[(name.IndexOf('/') + 1)..] : name;

    public void Dispose() => _http.Dispose();
}

/// <summary>A registry request failed: no answer (<see cref="Status"/> 0), a deadline, or an error status.</summary>
public sealed class RegistryException(int status, string message, Exception? inner = null) : BuildFailedException(message, inner!)
{
    public int Status { get; } = status;

    /// <summary>
    /// No answer, a deadline or a server error: the registry may have committed the request, so
    /// only reading it back settles what happened.
    /// </summary>
    public bool OutcomeUnknown => Status == 0 || Status >= 500;
}
