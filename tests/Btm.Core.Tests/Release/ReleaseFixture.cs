using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Core.Tests.Release;

/// <summary>A small, complete release folder (two tarballs, a .nupkg, manifest, signature, SHA256SUMS) made in process.</summary>
public sealed class ReleaseFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public ReleaseFixture(bool sign = true)
    {
        Key = Ed25519Keys.FromSeed(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        Directory.CreateDirectory(Path.Combine(Root, "npm"));
        var platform = Tarball("npm/acme-tool-linux-x64-1.0.0.tgz", ("package/package.json", "{\"name\":\"@acme/tool-linux-x64\"}\n", 0x1A4),
            ("package/bin/tool", "#!/bin/sh\necho tool 1.0.0\n", 0x1ED));
        var wrapper = Tarball("npm/acme-tool-1.0.0.tgz", ("package/package.json", "{\"name\":\"@acme/tool\"}\n", 0x1A4),
            ("package/bin/tool", "#!/usr/bin/env node\n", 0x1ED), ("package/lib/run.js", "module.exports = {};\n", 0x1A4));
        Manifest = new ReleaseManifest("1.0.0", "@acme", new string('a', 40), false, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            "commit", [new ManifestToolchain("linux-x64", "cc 12.2.0 (/usr/bin/cc)", "cmake version 3.25.1 (/usr/bin/cmake)")],
            sign, sign ? Key.PublicKeyHex : null,
            [
                Describe("@acme/tool-linux-x64", "platform", "linux-x64", platform),
                Describe("@acme/tool", "wrapper", null, wrapper),
            ]) { Nuget = [Nupkg("Acme.Tool", "1.0.0")] };
        var bytes = ReleaseManifestSerializer.Serialize(Manifest);
        File.WriteAllBytes(Path.Combine(Root, ReleaseManifest.FileName), bytes);
        if (sign)
            File.WriteAllBytes(Path.Combine(Root, ReleaseManifest.SignatureFileName), Ed25519Keys.Sign(Key.PrivateSeed, bytes));
        var sums = Manifest.Packages.Select(p => (p.Tarball, p.Sha256)).Concat(Manifest.Nuget.Select(n => (n.File, n.Sha256))).Append((ReleaseManifest.FileName, Sha256.Hex(System.Security.Cryptography.SHA256.HashData(bytes))));
        File.WriteAllText(Path.Combine(Root, ReleaseManifest.SumsFileName), Sha256Sums.Render(sums));
    }

    public string Root => _dir.Path;
    public Ed25519Keys.KeyPair Key { get; }
    public ReleaseManifest Manifest { get; }

    public string PathOf(string relative) => System.IO.Path.Combine(Root, relative);

    private string Tarball(string relative, params (string Path, string Content, int Mode)[] files)
    {
        var path = PathOf(relative);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
        foreach (var (name, content, mode) in files)
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                Mode = (UnixFileMode)mode,
                ModificationTime = new DateTimeOffset(1985, 10, 26, 8, 15, 0, TimeSpan.Zero),
            });
        }
        return relative;
    }

    private ManifestNuget Nupkg(string id, string version)
    {
        var file = $"{id}.{version}.nupkg";
        using (var zip = ZipFile.Open(PathOf(file), ZipArchiveMode.Create))
        using (var writer = new StreamWriter(zip.CreateEntry($"{id}.nuspec").Open()))
            writer.Write($"<package><metadata><id>{id}</id><version>{version}</version></metadata></package>");
        return new ManifestNuget(id, version, file, new FileInfo(PathOf(file)).Length, Sha256.HexOfFile(PathOf(file)));
    }

    private ManifestPackage Describe(string name, string kind, string? platform, string tarball)
    {
        var full = PathOf(tarball);
        var files = TarballReader.Read(full).Select(e => new ManifestFile(e.Path, e.Size, e.Mode, e.Sha256,
            e.Path.EndsWith("package.json", StringComparison.Ordinal) ? "metadata" : kind == "wrapper" ? "launcher" : "release")).ToList();
        return new ManifestPackage(name, "tool", kind, "1.0.0", platform, platform is null ? null : "linux", platform is null ? null : "x64",
            platform is null ? null : "glibc", tarball, TarballDigest.Of(full).Size, TarballDigest.Of(full).Sha256, TarballDigest.Of(full).Integrity, files);
    }

    public void Dispose() => _dir.Dispose();
}
