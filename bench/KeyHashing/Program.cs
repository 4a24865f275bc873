using System.Diagnostics;
using Btm.Core.IO;
using Btm.Core.Keys;
using Btm.Core.Platforms;

// Times BTM's cache-key computation over a folder, in process (start-up excluded), best of N runs.
// Usage: KeyHashing <package-folder> [runs]
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: KeyHashing <package-folder> [runs]");
    return 1;
}
var dir = Path.GetFullPath(args[0]);
var runs = args.Length > 1 ? int.Parse(args[1]) : 5;
var files = InputSet.Collect(dir, ["**/*"]);
var bytes = files.Sum(f => new FileInfo(Path.Combine(dir, f)).Length);
var manifest = Path.Combine(dir, files[0]);
var request = new KeyRequest("bench", dir, files, manifest, "bench", new Dictionary<string, string>(), "0.0.0", "dev",
    PlatformId.Parse("linux-x64"), new Dictionary<string, string>());

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

var key = "";
var parallel = Best(() => key = CacheKey.Compute(request).Key);
var sequential = Best(() =>
{
    foreach (var f in files)
        Sha256.OfFile(Path.Combine(dir, f));
});
// Machine-readable lines for bench/key-hashing.sh.
Console.WriteLine($"files {files.Count}");
Console.WriteLine($"bytes {bytes}");
Console.WriteLine($"key_seconds {parallel:F4}");
Console.WriteLine($"sequential_seconds {sequential:F4}");
Console.WriteLine($"key {key}");
return 0;
