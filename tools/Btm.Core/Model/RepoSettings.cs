using Btm.Core.Platforms;

namespace Btm.Core.Model;

/// <summary>The <c>[Btm]</c> section of cake.config.</summary>
/// <param name="License">SPDX expression for every npm package.</param>
/// <param name="Repository">Source repository URL for package.json; null leaves the field out.</param>
/// <param name="TrustedKeys">Ed25519 public keys (raw 32 bytes) whose manifest signatures Verify accepts.</param>
public sealed record RepoSettings(
    string Scope,
    string Version,
    IReadOnlyList<string> DefaultTargets,
    string License,
    string? Repository,
    IReadOnlyList<byte[]> TrustedKeys)
{
    /// <summary>Toolchains= (target to toolchain id); targets not named use the table's default.</summary>
    public IReadOnlyDictionary<string, string> Toolchains { get; init; } = new Dictionary<string, string>();

    /// <summary>GlibcFloor=: the oldest glibc linux glibc binaries run on (default 2.17), or "host".</summary>
    public string GlibcFloor { get; init; } = Model.GlibcFloor.Default;

    /// <summary>
    /// Packages=: the folders holding this repo's packages, each a folder with a btm.json or
    /// <c>folder/*</c> for every such folder inside it (default <c>packages/*</c>).
    /// </summary>
    public IReadOnlyList<string> PackageFolders { get; init; } = [DefaultPackageFolders];

    public const string DefaultPackageFolders = "packages/*";

    /// <summary>RemoteCacheUrl=, RemoteCacheTeam=, RemoteCacheMode=: the shared checkpoint cache (docs/remote-cache.md).</summary>
    public string? RemoteCacheUrl { get; init; }
    public string? RemoteCacheTeam { get; init; }
    public string? RemoteCacheMode { get; init; }

    public const string FileName = "cake.config";
    public const string Section = "Btm";

    /// <summary>The default targets with <c>host</c> replaced by the given host platform.</summary>
    public IReadOnlyList<PlatformId> ResolveDefaultTargets(PlatformId host) =>
        DefaultTargets.Select(t => t == "host" ? host : PlatformId.Parse(t)).Distinct().ToList();
}
