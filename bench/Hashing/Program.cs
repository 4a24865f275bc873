using System.Diagnostics;
using Btm.Core.IO;
using Btm.Core.Keys;
using Btm.Core.Platforms;
using Btm.Core.Release;

// Times BTM's hashing in process (start-up excluded), best of N runs, for the bench/ scripts.
//   Hashing key <package-folder> [runs]     cache-key computation over a folder
//   Hashing manifest <tarball.tgz> [runs]   what Package/Verify compute per tarball
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Hashing key <package-folder> [runs] | Hashing manifest <tarball.tgz> [runs]");
    return 1;
}
var runs = args.Length > 2 ? int.Parse(args[2]) : 5;

double Best(Action action)
{
    var best = double.MaxValue;
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        best = Math.Min(best, watch.Elapsed.TotalSeconds);
    }
    return best;
}

if (args[0] == "manifest")
{
    var tarball = Path.GetFullPath(args[1]);
    var digestSeconds = Best(() => TarballDigest.Of(tarball));
    var filesSeconds = Best(() => TarballReader.Read(tarball));
    Console.WriteLine($"bytes {new FileInfo(tarball).Length}");
    Console.WriteLine($"digest_seconds {digestSeconds:F4}");
    Console.WriteLine($"files_seconds {filesSeconds:F4}");
    return 0;
}

var dir = Path.GetFullPath(args[1]);
var files = InputSet.Collect(dir, ["**/*"]);
var bytes = files.Sum(f => new FileInfo(Path.Combine(dir, f)).Length);
var request = new KeyRequest("bench", dir, files, Path.Combine(dir, files[0]), "bench", new Dictionary<string, string>(), "0.0.0", "dev",
    PlatformId.Parse("linux-x64"), new Dictionary<string, string>());
var key = "";
var parallel = Best(() => key = CacheKey.Compute(request).Key);
var sequential = Best(() =>
{
    foreach (var f in files)
        Sha256.OfFile(Path.Combine(dir, f));
});
Console.WriteLine($"files {files.Count}");
Console.WriteLine($"bytes {bytes}");
Console.WriteLine($"key_seconds {parallel:F4}");
Console.WriteLine($"sequential_seconds {sequential:F4}");
Console.WriteLine($"key {key}");
return 0;
