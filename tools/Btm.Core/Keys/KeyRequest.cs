using Btm.Core.Platforms;

namespace Btm.Core.Keys;

/// <summary>Everything a package key is computed from.</summary>
/// <param name="InputFiles">Paths relative to <paramref name="PackageDir"/>, '/'-separated.</param>
/// <param name="ToolchainIdentity">Compiler path and its version output (and the builder's).</param>
/// <param name="Version">The release version, which builders compile into the binaries.</param>
/// <param name="DependencyKeys">Package name to that package's key, for the same mode and platform.</param>
public sealed record KeyRequest(
    string PackageName,
    string PackageDir,
    IReadOnlyList<string> InputFiles,
    string ManifestPath,
    string ToolchainIdentity,
    IReadOnlyDictionary<string, string> Environment,
    string Version,
    string Mode,
    PlatformId Platform,
    IReadOnlyDictionary<string, string> DependencyKeys);
