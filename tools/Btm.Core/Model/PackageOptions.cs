namespace Btm.Core.Model;

/// <summary>
/// One pinned external source (btm.json "sources"): fetched into the download cache, checked
/// against its sha256, unpacked into the unit's source tree at <see cref="Into"/>, patched.
/// </summary>
/// <param name="Urls">Mirrors, tried in order.</param>
/// <param name="Debian">A Debian source package to take the file from through apt (docs/onboarding.md), tried first.</param>
/// <param name="File">The archive's file name (required with <see cref="Debian"/>; else the last URL segment).</param>
/// <param name="Patches">Patch files in the package folder, applied in order with -p1.</param>
public sealed record SourceSpec(
    IReadOnlyList<string> Urls,
    string? Debian,
    string File,
    string Sha256,
    int StripComponents,
    string Into,
    IReadOnlyList<string> Patches)
{
    /// <summary>The name THIRD-PARTY-NOTICES gives it ("component"; else the Debian package or the archive's stem).</summary>
    public string Component { get; init; } = Stem(File);

    /// <summary>Its upstream version ("version"; else read from the archive's name), or null.</summary>
    public string? Version { get; init; }

    /// <summary>SPDX expression of what it ships under ("license"); null: covered by the package's own btm.json "license".</summary>
    public string? License { get; init; }

    /// <summary>Its licence texts, relative to where it unpacks ("licenseFiles"); empty: the LICENSE/COPYING/NOTICE files at its root.</summary>
    public IReadOnlyList<string> LicenseFiles { get; init; } = [];

    /// <summary>
    /// btm.json "debianPatches": the Debian packaging archive (<c>&lt;pkg&gt;_&lt;ver&gt;-&lt;rev&gt;.debian.tar.xz</c>), pinned
    /// by sha256, whose debian/patches/series is applied to the unpacked source, in order, before the
    /// package's own patches: Debian's fixes (security ones among them) ship too.
    /// </summary>
    public DebianPatchSet? DebianPatches { get; init; }

    /// <summary>"lua-5.4.4" from "lua-5.4.4.tar.gz"; "libzstd" from "libzstd_1.5.4+dfsg2.orig.tar.xz".</summary>
    public static string Stem(string file)
    {
        var name = file.Split('_')[0];
        foreach (var ext in new[] { ".tar.gz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tgz", ".zip", ".tar" })
        {
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase))
                return name[..^ext.Length];
        }
        return name;
    }

    /// <summary>"1.5.4+dfsg2" from a Debian orig tarball's name, "5.4.4" from "lua-5.4.4.tar.gz"; null when it names none.</summary>
    public static string? VersionFrom(string file)
    {
        var match = System.Text.RegularExpressions.Regex.Match(file, @"[_-]v?(\d+(?:\.\d+)+[0-9A-Za-z.+~-]*?)(?:\.orig)?(?:\.tar\.\w+|\.tgz|\.zip)$");
        return match.Success ? match.Groups[1].Value : null;
    }
}

/// <summary>A Debian packaging archive whose patch series applies to a source (btm.json sources[i].debianPatches).</summary>
public sealed record DebianPatchSet(string File, string Sha256)
{
    /// <summary>
    /// Patches of the series not applied, by name ("skip"): Debian's packaging choices that do not
    /// hold for a self-contained build (jq's 0008 links the system's oniguruma instead of the bundled one).
    /// </summary>
    public IReadOnlyList<string> Skip { get; init; } = Array.Empty<string>();
}

/// <summary>An extra shipped file (btm.json "files"): a path in the source tree, where it goes in the platform package, its mode.</summary>
public sealed record ShippedFile(string From, string To, UnixFileMode? Mode);

/// <summary>
/// How Verify and Publish check a binary runs (btm.json "verify"): run it with <see cref="Args"/>;
/// its output must contain <see cref="Expect"/> with {name} and {version} filled in. Disabled with a reason.
/// </summary>
public sealed record VerifyProbe(IReadOnlyList<string> Args, string Expect, string? DisabledReason)
{
    public static readonly VerifyProbe Default = new(["--version"], "{version}", null);

    /// <summary>btm.json "upstreamVersion": the version as the program prints it (GNU hello's "2.10" for npm's 2.10.0).</summary>
    public string? UpstreamVersion { get; init; }

    public bool Enabled => DisabledReason is null;

    /// <summary>{version} is the upstream version when btm.json gives one, else the npm version.</summary>
    public string Expected(string binary, string version) => Expect.Replace("{name}", binary).Replace("{version}", UpstreamVersion ?? version);
}
