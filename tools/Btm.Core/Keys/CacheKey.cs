using Btm.Core.IO;

namespace Btm.Core.Keys;

/// <summary>Computes a package's content-addressed key (spec: docs/checkpoints.md).</summary>
public static class CacheKey
{
    private const long PortableBudget = 4 << 20;

    public static KeyComponents Compute(KeyRequest request)
    {
        // File contents are hashed in parallel, then folded in sorted path order, so the
        // result does not depend on scheduling; bytes are never decoded as text.
        var fileHashes = new string[request.InputFiles.Count];
        var fullPaths = new string[request.InputFiles.Count];
        var sizes = new long[request.InputFiles.Count];
        var total = 0L;
        for (var i = 0; i < sizes.Length; i++)
        {
            fullPaths[i] = PathGuard.Resolve(request.PackageDir, request.InputFiles[i]);
            sizes[i] = new FileInfo(fullPaths[i]).Length;
            total += sizes[i];
        }
        // A typical source tree is hashed faster in managed code than OpenSSL takes to load.
        var portable = total <= PortableBudget;
        void HashOne(int i) =>
            fileHashes[i] = portable ? PortableSha256.HexOfFile(fullPaths[i]) : Sha256.HexOfFile(fullPaths[i]);
        // Threads pay off for big trees; for a typical package, starting them costs more than hashing.
        if (request.InputFiles.Count < 64)
        {
            for (var i = 0; i < request.InputFiles.Count; i++)
                HashOne(i);
        }
        else
        {
            Parallel.For(0, request.InputFiles.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, HashOne);
        }
        var files = new KeyDigest("btm-files/1");
        for (var i = 0; i < request.InputFiles.Count; i++)
            files.Add("path", request.InputFiles[i]).Add("size", sizes[i].ToString(System.Globalization.CultureInfo.InvariantCulture)).Add("sha256", fileHashes[i]);

        var manifest = new KeyDigest("btm-manifest/1").Add("bytes", File.ReadAllBytes(request.ManifestPath));
        var toolchain = new KeyDigest("btm-toolchain/1").Add("identity", request.ToolchainIdentity);

        var environment = new KeyDigest("btm-env/1");
        foreach (var name in SortedKeys(request.Environment))
            environment.Add(name, request.Environment[name]);

        var target = new KeyDigest("btm-target/1")
            .Add("package", request.PackageName).Add("version", request.Version).Add("mode", request.Mode).Add("platform", request.Platform.ToString());

        var dependencies = new KeyDigest("btm-deps/1");
        foreach (var name in SortedKeys(request.DependencyKeys))
            dependencies.Add(name, request.DependencyKeys[name]);

        return new KeyComponents(files.Hex(), manifest.Hex(), toolchain.Hex(), environment.Hex(), target.Hex(), dependencies.Hex());
    }

    private static string[] SortedKeys(IReadOnlyDictionary<string, string> map)
    {
        var keys = map.Keys.ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        return keys;
    }
}
