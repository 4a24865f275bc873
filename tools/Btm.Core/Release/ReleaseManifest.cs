namespace Btm.Core.Release;

/// <summary>artifacts/&lt;version&gt;/manifest.json: the contract downstream release gates read (docs/manifest.md).</summary>
public sealed record ReleaseManifest(
    string Version,
    string Scope,
    string? Commit,
    bool Dirty,
    DateTimeOffset BuildTime,
    string BuildTimeSource,
    IReadOnlyList<ManifestToolchain> Toolchains,
    bool Signed,
    string? SigningPublicKey,
    IReadOnlyList<ManifestPackage> Packages)
{
    /// <summary>
    /// A partial release (--partial): each component with the declared platforms it lacks. Empty for
    /// a complete release, which every release is unless asked otherwise.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Partial { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The .NET packages beside the npm ones (the btm tool, the dotnet new templates); empty when there are none.</summary>
    public IReadOnlyList<ManifestNuget> Nuget { get; init; } = [];

    public const int FormatVersion = 1;
    public const string FileName = "manifest.json";
    public const string SignatureFileName = "manifest.json.sig";
    public const string SumsFileName = "SHA256SUMS";
}

/// <summary>A .nupkg in the release folder's root: its package id, version, file name, size and SHA-256.</summary>
public sealed record ManifestNuget(string Id, string Version, string File, long Size, string Sha256);

public sealed record ManifestToolchain(string Platform, string Compiler, string Builder);

public sealed record ManifestPackage(
    string Name,
    string Component,
    string Kind,
    string Version,
    string? Platform,
    string? Os,
    string? Cpu,
    string? Libc,
    string Tarball,
    long Size,
    string Sha256,
    string Integrity,
    IReadOnlyList<ManifestFile> Files)
{
    public const string PlatformKind = "platform";
    public const string WrapperKind = "wrapper";
}

/// <param name="Role">release (bin/), debug (debug/bin/), launcher (wrapper code) or metadata (package.json, README).</param>
public sealed record ManifestFile(string Path, long Size, int Mode, string Sha256, string Role);
