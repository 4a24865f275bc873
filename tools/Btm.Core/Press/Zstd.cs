using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Btm.Core.Press;

/// <summary>
/// zstd through ZstdSharp.Port, a managed port of the reference library: no native library on the
/// machine running btm. Chosen by measurement against the host's libzstd (bench/zstd-libraries.sh,
/// numbers in docs/architecture.md). The C stub decodes with the pinned reference source.
/// </summary>
public static class Zstd
{
    public static string Version
    {
        get
        {
            var v = Methods.ZSTD_versionNumber();
            return $"{v / 10000}.{v / 100 % 100}.{v % 100}";
        }
    }

    public static int MaxLevel => Compressor.MaxCompressionLevel;

    /// <summary>Compresses <paramref name="input"/> to the end into <paramref name="output"/> as one zstd frame.</summary>
    public static void Compress(Stream input, Stream output, int level, int workers = 0)
    {
        try
        {
            using var zstd = new CompressionStream(output, level, leaveOpen: true);
            // Long-distance matching finds repeats across a large binary's sections: a few % smaller at high levels.
            if (level >= 16)
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_enableLongDistanceMatching, 1);
            if (workers > 0)
                zstd.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, workers);
            input.CopyTo(zstd, 1 << 20);
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"zstd compress: {e.Message}", e);
        }
    }

    /// <summary>Decompresses exactly <paramref name="length"/> bytes of input; refuses output beyond <paramref name="maxOutput"/>.</summary>
    public static long Decompress(Stream input, long length, Stream output, long maxOutput)
    {
        var buffer = new byte[1 << 17];
        long produced = 0;
        try
        {
            using var zstd = new DecompressionStream(new IO.StreamWindow(input, length), checkEndOfStream: true, leaveOpen: true);
            int read;
            while ((read = zstd.Read(buffer, 0, buffer.Length)) > 0)
            {
                produced += read;
                if (produced > maxOutput)
                    throw new InvalidDataException("payload decompresses to more bytes than the trailer promises");
                output.Write(buffer, 0, read);
            }
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"zstd decompress: {e.Message}", e);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("payload ends inside a zstd frame (truncated)");
        }
        return produced;
    }
}
