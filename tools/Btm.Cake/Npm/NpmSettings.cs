using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Btm.Cake.Npm;

/// <summary>What every npm call shares: the registry and the userconfig to use.</summary>
public abstract class NpmSettings : ToolSettings
{
    /// <summary>--registry; null keeps npm's configured registry.</summary>
    public string? Registry { get; init; }

    /// <summary>--userconfig, e.g. a temp .npmrc holding the auth token, so it never reaches a command line.</summary>
    public FilePath? UserConfig { get; init; }

    /// <summary>
    /// npm's own retries; its default backs off for minutes when a registry is down. One quick
    /// retry, then fail: a release run resumes on the next attempt anyway.
    /// </summary>
    public int FetchRetries { get; init; } = 1;
}
