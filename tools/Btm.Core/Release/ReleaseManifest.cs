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

    /// <summary>Installers and archives under installers/ (docs/installers.md); empty when no package asks for them.</summary>
    public IReadOnlyList<ManifestInstaller> Installers { get; init; } = [];

    /// <summary>Who Authenticode-signed the win32 programs and installers, and the certificates Verify checks them with; null when nothing was signed.</summary>
    public ManifestAuthenticode? Authenticode { get; init; }

    /// <summary>Every file of the release folder the manifest lists, with its SHA-256 (what SHA256SUMS holds, but manifest.json itself).</summary>
    public IEnumerable<(string File, string Sha256)> ListedFiles =>
        Packages.Select(p => (p.Tarball, p.Sha256)).Concat(Nuget.Select(n => (n.File, n.Sha256))).Concat(Installers.Select(i => (i.File, i.Sha256)))
            .Concat(Authenticode is { } a ? [(a.Certificates, a.Sha256)] : []);

    public const int FormatVersion = 1;
    public const string FileName = "manifest.json";
    public const string SignatureFileName = "manifest.json.sig";
    public const string SumsFileName = "SHA256SUMS";
}

/// <summary>A .nupkg in the release folder's root: its package id, version, file name, size and SHA-256.</summary>
public sealed record ManifestNuget(string Id, string Version, string File, long Size, string Sha256);

/// <param name="Certificates">The PEM file in the release folder: the signer's certificate first, then the rest of its chain.</param>
public sealed record ManifestAuthenticode(string Subject, string Certificates, string Sha256);

/// <param name="Platform">The target it installs on; null for what serves every target (a Homebrew formula, a Scoop manifest).</param>
/// <param name="File">installers/&lt;file name&gt;.</param>
public sealed record ManifestInstaller(string Component, string? Platform, string Format, string File, long Size, string Sha256)
{
    public const string Folder = "installers";
}

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
