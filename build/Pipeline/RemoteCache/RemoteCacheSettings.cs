using Btm.Core.Model;

namespace Btm.Build.Pipeline.RemoteCache;

public enum RemoteCacheMode
{
    Off,
    /// <summary>Restore from the cache, never upload: for untrusted legs such as pull requests.</summary>
    Read,
    ReadWrite,
}

/// <summary>
/// Where the shared checkpoint cache is and how to use it, from the environment (CI secrets) or
/// cake.config, and --remote-cache. The token and the signature key come from the environment
/// only: cake.config is committed.
/// </summary>
public sealed record RemoteCacheSettings(Uri Url, string? Token, string? Team, byte[]? SignatureKey, RemoteCacheMode Mode, TimeSpan Timeout)
{
    public const string UrlVariable = "BTM_REMOTE_CACHE_URL";
    public const string TokenVariable = "BTM_REMOTE_CACHE_TOKEN";
    public const string TeamVariable = "BTM_REMOTE_CACHE_TEAM";
    public const string SignatureKeyVariable = "BTM_REMOTE_CACHE_SIGNATURE_KEY";
    public const string TimeoutVariable = "BTM_REMOTE_CACHE_TIMEOUT";
    public const string ModeVariable = "BTM_REMOTE_CACHE_MODE";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The settings in force, or null when no cache is configured or the mode is off.</summary>
    /// <param name="option">--remote-cache as given, or null. Unlike the defaults (BTM_REMOTE_CACHE_MODE,
    /// RemoteCacheMode=), which apply only once a cache is configured, it is an error without one.</param>
    public static RemoteCacheSettings? Resolve(string? option, RepoSettings repo, Func<string, string?> environment)
    {
        var fromEnvironment = environment(UrlVariable);
        var url = fromEnvironment ?? repo.RemoteCacheUrl;
        var source = fromEnvironment is not null ? UrlVariable : "cake.config [Btm] RemoteCacheUrl";
        var (given, from) = option is not null ? (option, "--remote-cache")
            : environment(ModeVariable) is { } e ? (e, ModeVariable)
            : (repo.RemoteCacheMode, "cake.config [Btm] RemoteCacheMode");
        var mode = given switch
        {
            null => RemoteCacheMode.ReadWrite,
            "off" => RemoteCacheMode.Off,
            "read" => RemoteCacheMode.Read,
            "readwrite" => RemoteCacheMode.ReadWrite,
            var other => throw new ConfigException(from, "value", $"'{other}' is not a remote cache mode", "use off, read or readwrite"),
        };
        if (mode == RemoteCacheMode.Off)
            return null;
        if (url is null)
        {
            if (option is null)
                return null;
            throw new ConfigException("--remote-cache", option, "no cache is configured",
                $"set {UrlVariable} (or RemoteCacheUrl in cake.config) to the cache's base URL, e.g. https://cache.example.com");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ConfigException(source, "URL", $"'{url}' is not an http(s) URL", "give the cache's base URL, e.g. https://cache.example.com (BTM adds /v8/artifacts/…)");
        var timeout = DefaultTimeout;
        if (environment(TimeoutVariable) is { } seconds)
        {
            if (!double.TryParse(seconds, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var s) || s <= 0 || s > 3600)
                throw new ConfigException(TimeoutVariable, "value", $"'{seconds}' is not a number of seconds", "give the per-request deadline in seconds, e.g. 30");
            timeout = TimeSpan.FromSeconds(s);
        }
        var key = environment(SignatureKeyVariable);
        return new RemoteCacheSettings(uri, environment(TokenVariable), environment(TeamVariable) ?? repo.RemoteCacheTeam,
            key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), mode, timeout);
    }

    public override string ToString() =>
        $"{Url.GetLeftPart(UriPartial.Path).TrimEnd('/')} ({Mode.ToString().ToLowerInvariant()}{(Team is null ? "" : $", team {Team}")}{(SignatureKey is null ? "" : ", signed")})";
}
