// One library per process run, so start-up cost is measured cold: `zstd-libraries <libzstd|zstdsharp> <compress|decompress|startup> <input> <output> [level]`.
using System.Diagnostics;
using ZstdLibraries;
using ZstdSharp;
using ZstdSharp.Unsafe;

var (library, action, input, output) = (args[0], args[1], args[2], args[3]);
var level = args.Length > 4 ? int.Parse(args[4]) : 19;
var workers = Environment.ProcessorCount;
var clock = Stopwatch.StartNew();
switch (library, action)
{
    case ("libzstd", "compress"):
        using (var i = File.OpenRead(input))
        using (var o = File.Create(output))
            LibZstd.Compress(i, o, level, workers);
        break;
    case ("libzstd", "decompress"):
        using (var i = File.OpenRead(input))
        using (var o = File.Create(output))
            LibZstd.Decompress(i, i.Length, o, long.MaxValue);
        break;
    case ("zstdsharp", "compress"):
        using (var i = File.OpenRead(input))
        using (var o = File.Create(output))
        using (var z = new CompressionStream(o, level))
        {
            // The parameters BTM's compressor sets: long-distance matching from level 16, one worker per core.
            if (level >= 16)
                z.SetParameter(ZSTD_cParameter.ZSTD_c_enableLongDistanceMatching, 1);
            z.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
            i.CopyTo(z, 1 << 20);
        }
        break;
    case ("zstdsharp", "decompress"):
        using (var i = File.OpenRead(input))
        using (var o = File.Create(output))
        using (var z = new DecompressionStream(i))
            z.CopyTo(o, 1 << 20);
        break;
    case ("libzstd", "startup"):
        using (var o = new MemoryStream())
            LibZstd.Compress(new MemoryStream(new byte[4096]), o, 3);
        break;
    case ("zstdsharp", "startup"):
        using (var o = new MemoryStream())
        using (var z = new CompressionStream(o, 3))
            z.Write(new byte[4096]);
        break;
    default:
        Console.Error.WriteLine("usage: zstd-libraries <libzstd|zstdsharp> <compress|decompress|startup> <input> <output> [level]");
        return 2;
}
Console.WriteLine($"{library} {action}: {clock.Elapsed.TotalMilliseconds:F1} ms");
return 0;
