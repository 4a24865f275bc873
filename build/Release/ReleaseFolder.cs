using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Cake.Npm;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>
/// What Package and Assemble share: the signing key, packing a staged folder into a manifest entry,
/// and writing manifest.json, its signature and SHA256SUMS into a temp folder that is then renamed
/// to artifacts/&lt;version&gt;/, so a failed run never leaves a release folder that looks complete.
/// </summary>
public static class ReleaseFolder
{
    /// <summary>The key that signs this release: --signing-key/BTM_SIGNING_KEY, the local key for a local release, or none.</summary>
    public static (Ed25519Keys.KeyPair? Key, bool Local) SigningKeyFor(BuildContext context)
    {
        var key = SigningKey.Load(context);
        if (key is null && SigningKey.IsLocalRelease(context))
        {
            var existed = SigningKey.Local(context, create: false) is not null;
            context.Info($"{(existed ? "using" : "created")} the local signing key {SigningKey.LocalKeyPath}: Publish trusts it for the local registry only " +
                "(a real registry needs --signing-key or BTM_SIGNING_KEY with a key in TrustedKeys)");
            return (SigningKey.Local(context, create: true), true);
        }
        if (key is null && !context.Options.AllowUnsigned && context.Options.Registry != "local" && context.Options.SignManifest)
        {
            throw new BuildFailedException($"Release to {context.Options.Registry} needs a signed manifest and there is no signing key: " +
                "pass --signing-key=<file> or BTM_SIGNING_KEY (make one with --target=KeyGen), or --allow-unsigned; nothing was packed or published");
        }
        return (key, false);
    }

    /// <summary>A fresh temp sibling of the release folder, with its npm/ folder; npm must be there to pack into it.</summary>
    public static string Begin(BuildContext context)
    {
        if (context.ToolLookup.Find("npm") is null)
            throw new BuildFailedException($"npm is needed to pack: {NodeTools.Advice(context.RepoRoot)}");
        var releaseDir = ReleasePaths.ReleaseDir(context);
        Directory.CreateDirectory(Path.GetDirectoryName(releaseDir)!);
        AtomicFile.RemoveLeftovers(Path.GetDirectoryName(releaseDir)!);
        var temp = AtomicFile.TempPathFor(releaseDir);
        Directory.CreateDirectory(Path.Combine(temp, "npm"));
        return temp;
    }

    /// <summary>npm packs a staged folder into temp/npm/; the manifest entry lists every file in the tarball.</summary>
    public static ManifestPackage Pack(BuildContext context, string dir, string temp, string name, string component, PlatformId? platform)
    {
        var npmDir = Path.Combine(temp, "npm");
        var file = context.NpmPack(new NpmPackSettings { Source = dir, Destination = npmDir });
        var tarball = Path.Combine(npmDir, file);
        var files = TarballReader.Read(tarball)
            .Select(e => new ManifestFile(e.Path, e.Size, e.Mode, e.Sha256, Role(e.Path, platform is null)))
            .ToList();
        context.Info($"packed {name} -> npm/{file}");
        var digest = TarballDigest.Of(tarball);
        return new ManifestPackage(name, component, platform is null ? ManifestPackage.WrapperKind : ManifestPackage.PlatformKind,
            context.VersionOf(context.Graph[component]), platform?.ToString(), platform?.Os, platform?.Cpu, platform?.Libc,
            $"npm/{file}", digest.Size, digest.Sha256, digest.Integrity, files);
    }

    private static string Role(string path, bool wrapper) => path switch
    {
        _ when wrapper && (path.StartsWith("package/bin/", StringComparison.Ordinal) || path.StartsWith("package/lib/", StringComparison.Ordinal)) => "launcher",
        _ when path.StartsWith("package/bin/", StringComparison.Ordinal) => "release",
        _ when path.StartsWith("package/debug/", StringComparison.Ordinal) => "debug",
        _ => "metadata",
    };

    /// <summary>Writes manifest.json (signed when there is a key) and SHA256SUMS into temp, then renames it into place.</summary>
    public static void Complete(BuildContext context, string temp, ReleaseManifest manifest, Ed25519Keys.KeyPair? key, bool localKey)
    {
        var releaseDir = ReleasePaths.ReleaseDir(context);
        try
        {
            var manifestBytes = ReleaseManifestSerializer.Serialize(manifest);
            AtomicFile.WriteAllBytes(Path.Combine(temp, ReleaseManifest.FileName), manifestBytes);
            if (key is not null)
            {
                AtomicFile.WriteAllBytes(Path.Combine(temp, ReleaseManifest.SignatureFileName), Ed25519Keys.Sign(key.PrivateSeed, manifestBytes));
                context.Success($"signed manifest.json with {(localKey ? "the local key " : "")}{key.PublicKeyHex}");
            }
            else
            {
                context.Warn("no signing key (--signing-key or BTM_SIGNING_KEY): manifest.json is unsigned. " + (context.Options.AllowUnsigned
                    ? "--allow-unsigned lets Verify and Publish accept it"
                    : "Verify accepts it only while cake.config lists no TrustedKeys, Publish only to the local registry; a real registry refuses it without --allow-unsigned"));
            }
            var sums = manifest.ListedFiles.Append((ReleaseManifest.FileName, Sha256.Hex(System.Security.Cryptography.SHA256.HashData(manifestBytes))));
            AtomicFile.WriteAllBytes(Path.Combine(temp, ReleaseManifest.SumsFileName), System.Text.Encoding.UTF8.GetBytes(Sha256Sums.Render(sums)));

            if (Directory.Exists(releaseDir))
                Directory.Delete(releaseDir, recursive: true);
            Directory.Move(temp, releaseDir);
        }
        finally
        {
            Abandon(temp);
        }
    }

    /// <summary>Removes a temp release folder that was not completed.</summary>
    public static void Abandon(string temp)
    {
        if (Directory.Exists(temp))
            Directory.Delete(temp, recursive: true);
    }
}
