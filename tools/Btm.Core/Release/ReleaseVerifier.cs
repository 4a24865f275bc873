using Btm.Core.IO;

namespace Btm.Core.Release;

/// <summary>What Verify found: problems fail it; notes are said but do not.</summary>
public sealed record VerifyReport(ReleaseManifest? Manifest, IReadOnlyList<string> Problems, IReadOnlyList<string> Notes)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Checks a release folder byte by byte against its manifest: every tarball's size, SHA-256 and
/// npm integrity, every file inside each tarball, SHA256SUMS, and the signature. Each problem
/// names the file and both values. Installing and running are the Verify task's part.
/// </summary>
public static class ReleaseVerifier
{
    public static VerifyReport Verify(string releaseDir, IReadOnlyList<byte[]> trustedKeys, bool requireSignature)
    {
        var problems = new List<string>();
        var notes = new List<string>();
        var manifestPath = Path.Combine(releaseDir, ReleaseManifest.FileName);
        if (!File.Exists(manifestPath))
            return new VerifyReport(null, [$"{manifestPath}: missing; run the Package task first"], notes);
        var manifestBytes = File.ReadAllBytes(manifestPath);
        ReleaseManifest manifest;
        try
        {
            manifest = ReleaseManifestSerializer.Deserialize(manifestBytes);
        }
        catch (InvalidDataException e)
        {
            return new VerifyReport(null, [$"{ReleaseManifest.FileName}: {e.Message}"], notes);
        }

        CheckSignature(releaseDir, manifest, manifestBytes, trustedKeys, requireSignature, problems, notes);
        foreach (var package in manifest.Packages)
            CheckPackage(releaseDir, package, problems);
        foreach (var nuget in manifest.Nuget)
            CheckFile(releaseDir, nuget.File, nuget.Size, nuget.Sha256, $"{nuget.Id} {nuget.Version}", problems);
        if (manifest.Authenticode is { } authenticode)
            CheckFile(releaseDir, authenticode.Certificates, new FileInfo(Path.Combine(releaseDir, authenticode.Certificates)) is { Exists: true } c ? c.Length : -1,
                authenticode.Sha256, $"the Authenticode certificates of {authenticode.Subject}", problems);
        foreach (var installer in manifest.Installers)
            CheckFile(releaseDir, installer.File, installer.Size, installer.Sha256, $"{installer.Component}'s {installer.Format}", problems);
        CheckSums(releaseDir, manifest, problems);

        var listed = manifest.Packages.Select(p => p.Tarball).ToHashSet(StringComparer.Ordinal);
        var npmDir = Path.Combine(releaseDir, "npm");
        if (Directory.Exists(npmDir))
        {
            foreach (var extra in Directory.EnumerateFiles(npmDir).Select(f => "npm/" + Path.GetFileName(f)).Where(f => !listed.Contains(f)).Order())
                problems.Add($"{extra}: not in the manifest (a tarball nobody signed for); remove it or run Package again");
        }
        var listedNuget = manifest.Nuget.Select(n => n.File).ToHashSet(StringComparer.Ordinal);
        foreach (var extra in Directory.EnumerateFiles(releaseDir, "*.nupkg").Select(Path.GetFileName).Where(f => !listedNuget.Contains(f!)).Order())
            problems.Add($"{extra}: not in the manifest (a package nobody signed for); remove it or run Package again");
        var listedInstallers = manifest.Installers.Select(i => i.File).ToHashSet(StringComparer.Ordinal);
        var installersDir = Path.Combine(releaseDir, ManifestInstaller.Folder);
        if (Directory.Exists(installersDir))
        {
            foreach (var extra in Directory.EnumerateFileSystemEntries(installersDir).Select(f => $"{ManifestInstaller.Folder}/{Path.GetFileName(f)}").Where(f => !listedInstallers.Contains(f)).Order())
                problems.Add($"{extra}: not in the manifest (an installer nobody signed for); remove it or run Package again");
        }
        return new VerifyReport(manifest, problems, notes);
    }

    private static void CheckSignature(string releaseDir, ReleaseManifest manifest, byte[] manifestBytes,
        IReadOnlyList<byte[]> trustedKeys, bool requireSignature, List<string> problems, List<string> notes)
    {
        var sigPath = Path.Combine(releaseDir, ReleaseManifest.SignatureFileName);
        if (!manifest.Signed)
        {
            if (File.Exists(sigPath))
                problems.Add($"{ReleaseManifest.SignatureFileName}: present, but manifest.json says signing.signed is false");
            else if (requireSignature)
                problems.Add($"{ReleaseManifest.FileName}: unsigned (signing.signed is false); sign it with --signing-key or BTM_SIGNING_KEY, or pass --allow-unsigned");
            else
                notes.Add($"{ReleaseManifest.FileName} is unsigned");
            return;
        }
        if (!File.Exists(sigPath))
        {
            problems.Add($"{ReleaseManifest.SignatureFileName}: missing, but manifest.json says signing.signed is true");
            return;
        }
        var signature = File.ReadAllBytes(sigPath);
        if (signature.Length != 64)
        {
            problems.Add($"{ReleaseManifest.SignatureFileName}: {signature.Length} bytes; an Ed25519 signature is 64");
            return;
        }
        var named = manifest.SigningPublicKey;
        var verifiedBy = trustedKeys.FirstOrDefault(k => Ed25519Keys.Verify(k, manifestBytes, signature));
        if (verifiedBy is not null)
        {
            var actual = Convert.ToHexStringLower(verifiedBy);
            if (named != actual)
                problems.Add($"{ReleaseManifest.FileName}: signing.publicKey is {named ?? "null"}, but the signature is by trusted key {actual}");
            return;
        }
        if (trustedKeys.Count > 0)
        {
            problems.Add($"{ReleaseManifest.SignatureFileName}: does not verify with any trusted key " +
                $"(trusted: {string.Join(", ", trustedKeys.Select(Convert.ToHexStringLower))}; manifest names {named ?? "none"})");
            return;
        }
        // No trust configured: the signature can still prove the bytes are intact, not who made them.
        byte[]? namedKey = null;
        try
        {
            namedKey = named is null ? null : Ed25519Keys.ReadPublic(named);
        }
        catch (FormatException)
        {
        }
        if (namedKey is null || !Ed25519Keys.Verify(namedKey, manifestBytes, signature))
            problems.Add($"{ReleaseManifest.SignatureFileName}: does not verify with the key manifest.json names ({named ?? "none"})");
        else if (requireSignature)
            problems.Add($"{ReleaseManifest.SignatureFileName}: signed by {named}, which cake.config [Btm] TrustedKeys does not list; add it or pass --allow-unsigned");
        else
            notes.Add($"signature verifies with the manifest's own key {named}; cake.config trusts no key, so this proves integrity, not origin");
    }

    private static void CheckPackage(string releaseDir, ManifestPackage package, List<string> problems)
    {
        var tarball = PathGuard.Resolve(releaseDir, package.Tarball);
        if (!File.Exists(tarball))
        {
            problems.Add($"{package.Tarball}: missing (manifest lists it for {package.Name})");
            return;
        }
        var digest = TarballDigest.Of(tarball);
        if (digest.Size != package.Size)
            problems.Add($"{package.Tarball}: size {digest.Size}, manifest says {package.Size}");
        if (digest.Sha256 != package.Sha256)
            problems.Add($"{package.Tarball}: sha256 {digest.Sha256}, manifest says {package.Sha256}");
        if (digest.Integrity != package.Integrity)
            problems.Add($"{package.Tarball}: integrity {digest.Integrity}, manifest says {package.Integrity}");

        IReadOnlyList<TarballEntry> entries;
        try
        {
            entries = TarballReader.Read(tarball);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Damaged bytes can fail anywhere in gzip or tar parsing; every way is a finding, not a crash.
            problems.Add($"{package.Tarball}: unreadable ({e.Message})");
            return;
        }
        var actual = entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        foreach (var file in package.Files)
        {
            if (!actual.TryGetValue(file.Path, out var entry))
            {
                problems.Add($"{package.Tarball}: {file.Path} is missing");
                continue;
            }
            if (entry.Size != file.Size)
                problems.Add($"{package.Tarball}: {file.Path} size {entry.Size}, manifest says {file.Size}");
            if (entry.Mode != file.Mode)
                problems.Add($"{package.Tarball}: {file.Path} mode 0{Convert.ToString(entry.Mode, 8)}, manifest says 0{Convert.ToString(file.Mode, 8)}");
            if (entry.Sha256 != file.Sha256)
                problems.Add($"{package.Tarball}: {file.Path} sha256 {entry.Sha256}, manifest says {file.Sha256}");
        }
        var expected = package.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var extra in actual.Keys.Where(p => !expected.Contains(p)))
            problems.Add($"{package.Tarball}: {extra} is not in the manifest");
    }

    private static void CheckFile(string releaseDir, string file, long expectedSize, string expectedSha256, string what, List<string> problems)
    {
        var path = Path.Combine(releaseDir, file);
        if (!File.Exists(path) || new FileInfo(path).Attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            problems.Add($"{file}: missing (the manifest lists {what})");
            return;
        }
        var size = new FileInfo(path).Length;
        if (size != expectedSize)
            problems.Add($"{file}: {size} bytes, the manifest says {expectedSize}");
        else if (Sha256.HexOfFile(path) is var actual && actual != expectedSha256)
            problems.Add($"{file}: sha256 {actual}, the manifest says {expectedSha256}");
    }

    private static void CheckSums(string releaseDir, ReleaseManifest manifest, List<string> problems)
    {
        var sumsPath = Path.Combine(releaseDir, ReleaseManifest.SumsFileName);
        if (!File.Exists(sumsPath))
        {
            problems.Add($"{ReleaseManifest.SumsFileName}: missing");
            return;
        }
        IReadOnlyList<(string Path, string Sha256)> sums;
        try
        {
            sums = Sha256Sums.Parse(File.ReadAllText(sumsPath), ReleaseManifest.SumsFileName);
        }
        catch (InvalidDataException e)
        {
            problems.Add(e.Message);
            return;
        }
        var wanted = manifest.ListedFiles.Select(f => f.File).Append(ReleaseManifest.FileName).ToHashSet(StringComparer.Ordinal);
        foreach (var (path, sha) in sums)
        {
            if (!wanted.Remove(path))
            {
                problems.Add($"{ReleaseManifest.SumsFileName}: lists {path}, which the release does not have");
                continue;
            }
            string full;
            try
            {
                full = PathGuard.Resolve(releaseDir, path);
            }
            catch (InvalidDataException)
            {
                problems.Add($"{ReleaseManifest.SumsFileName}: path {path} leaves the release folder");
                continue;
            }
            if (File.Exists(full) && Sha256.HexOfFile(full) is var actual && actual != sha)
                problems.Add($"{ReleaseManifest.SumsFileName}: {path} sha256 {actual}, SHA256SUMS says {sha}");
        }
        foreach (var missing in wanted.Order())
            problems.Add($"{ReleaseManifest.SumsFileName}: does not list {missing}");
    }
}
