using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Btm.Build.Publishing;

/// <summary>What the registry says about one name@version, and how many versions the package has in all.</summary>
public sealed record PublishedVersion(bool Exists, string? Integrity, string? Deprecated, int VersionCount = 0);

/// <summary>
/// The npm registry's read API over HTTP (packuments, ping, dist-tags): the source of truth for
/// what is published. Much faster than one `npm view` process per package.
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
        using var response = await _http.GetAsync($"{Url}/{Escape(name)}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return (new PublishedVersion(false, null, null), new Dictionary<string, string>());
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET {Url}/{Escape(name)} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (doc.RootElement.TryGetProperty("dist-tags", out var distTags))
        {
            foreach (var t in distTags.EnumerateObject())
                tags[t.Name] = t.Value.GetString() ?? "";
        }
        var count = doc.RootElement.TryGetProperty("versions", out var all) && all.ValueKind == JsonValueKind.Object ? all.EnumerateObject().Count() : 0;
        if (count == 0 || !all.TryGetProperty(version, out var v))
            return (new PublishedVersion(false, null, null, count), tags);
        var integrity = v.TryGetProperty("dist", out var dist) && dist.TryGetProperty("integrity", out var i) ? i.GetString() : null;
        var deprecated = v.TryGetProperty("deprecated", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
        return (new PublishedVersion(true, integrity, string.IsNullOrEmpty(deprecated) ? null : deprecated, count), tags);
    }

    public async Task SetDistTagAsync(string name, string tag, string version)
    {
        using var body = new StringContent(JsonSerializer.Serialize(version), Encoding.UTF8, "application/json");
        using var response = await _http.PutAsync($"{Url}/-/package/{Escape(name)}/dist-tags/{Uri.EscapeDataString(tag)}", body);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"tagging {name}@{version} as {tag} answered {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task RemoveDistTagAsync(string name, string tag)
    {
        using var response = await _http.DeleteAsync($"{Url}/-/package/{Escape(name)}/dist-tags/{Uri.EscapeDataString(tag)}");
        if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.NotFound)
            throw new HttpRequestException($"removing tag {tag} from {name} answered {(int)response.StatusCode}");
    }

    /// <summary>
    /// Publishes a tarball exactly as it is, with the request `npm publish` sends (libnpmpublish):
    /// the version manifest from the tarball's package.json plus dist fields, and the tarball
    /// itself as a base64 attachment. Throws <see cref="RegistryRefusedException"/> with the
    /// registry's own error.
    /// </summary>
    public async Task PublishAsync(string tarballPath, string packageJson, string integrity, string tag, string access)
    {
        var tarball = await File.ReadAllBytesAsync(tarballPath);
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(packageJson)!.AsObject();
        var name = manifest["name"]!.GetValue<string>();
        var version = manifest["version"]!.GetValue<string>();
        var unscoped = name.Contains('/') ? name[(name.IndexOf('/') + 1)..] : name;
        manifest["_id"] = $"{name}@{version}";
        manifest["dist"] = new System.Text.Json.Nodes.JsonObject
        {
            ["integrity"] = integrity,
            ["shasum"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(tarball)),
            ["tarball"] = $"{Url}/{name}/-/{unscoped}-{version}.tgz",
        };
        var document = new System.Text.Json.Nodes.JsonObject
        {
            ["_id"] = name,
            ["name"] = name,
            ["description"] = manifest["description"]?.DeepClone(),
            ["dist-tags"] = new System.Text.Json.Nodes.JsonObject { [tag] = version },
            ["versions"] = new System.Text.Json.Nodes.JsonObject { [version] = manifest },
            ["access"] = access,
            ["_attachments"] = new System.Text.Json.Nodes.JsonObject
            {
                [$"{name}-{version}.tgz"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["content_type"] = "application/octet-stream",
                    ["data"] = Convert.ToBase64String(tarball),
                    ["length"] = tarball.Length,
                },
            },
        };
        using var body = new StringContent(document.ToJsonString(), Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{Url}/{Escape(name)}") { Content = body };
        request.Headers.Add("npm-command", "publish");
        using var response = await _http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new RegistryRefusedException((int)response.StatusCode, $"PUT {Url}/{Escape(name)} answered {(int)response.StatusCode}: {ErrorText(await response.Content.ReadAsStringAsync())}");
    }

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

    /// <summary>The user the registry sees for this token (npm whoami's own request); throws when refused.</summary>
    public async Task<string> WhoAmIAsync()
    {
        using var response = await _http.GetAsync($"{Url}/-/whoami");
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"GET {Url}/-/whoami answered {(int)response.StatusCode} {response.ReasonPhrase}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.TryGetProperty("username", out var u) && u.GetString() is { Length: > 0 } name
            ? name
            : throw new HttpRequestException($"GET {Url}/-/whoami: no user for these credentials");
    }

    /// <summary>Registers a user (verdaccio's adduser) and returns its token.</summary>
    public async Task<string> AddUserAsync(string user, string password)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, string> { ["name"] = user, ["password"] = password });
        using var body = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.PutAsync($"{Url}/-/user/org.couchdb.user:{Uri.EscapeDataString(user)}", body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"creating registry user {user} answered {(int)response.StatusCode}: {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("token").GetString()!;
    }

    // Scoped names keep their '@' and escape the '/': @scope%2fname.
    private static string Escape(string name) => name.Replace("/", "%2f");

    public void Dispose() => _http.Dispose();
}

/// <summary>The registry answered a write with an error status.</summary>
public sealed class RegistryRefusedException(int status, string message) : HttpRequestException(message)
{
    public int Status { get; } = status;
}
