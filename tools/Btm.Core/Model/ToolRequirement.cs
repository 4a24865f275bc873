namespace Btm.Core.Model;

/// <summary>An external tool or library a package needs on the build machine.</summary>
public sealed record ToolRequirement(
    string Name,
    string? Command,
    string? PkgConfig,
    string? MinVersion,
    IReadOnlyDictionary<string, string> Install)
{
    /// <summary>What makes <see cref="Command"/> print its version (go: "version"); the output is part of the cache key.</summary>
    public string VersionArgument { get; init; } = "--version";

    /// <summary>The install hint for an os id (linux, darwin, win32), or a generic one.</summary>
    public string InstallHint(string os) =>
        Install.TryGetValue(os, out var hint) ? hint : $"install {Name} (btm.json gives no hint for {os})";
}
