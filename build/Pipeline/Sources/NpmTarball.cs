using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Build.Pipeline.Sources;

/// <summary>A runtime a builder takes from npm (Node's, Bun's): the package's tarball through the download cache, pinned by sha256, unpacked without its package/ folder.</summary>
public static class NpmTarball
{
    /// <summary>Unpacks <paramref name="name"/>@<paramref name="version"/> into <paramref name="into"/>; returns the tarball's file name.</summary>
    public static string Unpack(BuildContext context, PackageManifest package, string name, string version, string sha256, string into)
    {
        // A scoped package's tarball is named without its scope: @oven/bun-linux-x64 → bun-linux-x64-1.4.4.tgz.
        var file = $"{name.Split('/')[^1]}-{version}.tgz";
        var source = new SourceSpec([$"https://registry.npmjs.org/{name}/-/{file}"], null, file, sha256, 1, ".", []);
        SafeArchive.Extract(SourceTree.Fetch(context, package, source), file, into, 1);
        return file;
    }
}
