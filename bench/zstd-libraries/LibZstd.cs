using System.Reflection;
using System.Runtime.InteropServices;

namespace ZstdLibraries;

/// <summary>
/// The host's reference zstd library (libzstd1) through its streaming API: what Btm.Core used
/// before ZstdSharp, kept here as the peer it was measured against.
/// </summary>
public static partial class LibZstd
{
    private const string Library = "zstd";

    static LibZstd()
    {
        NativeLibrary.SetDllImportResolver(typeof(LibZstd).Assembly, (name, assembly, path) =>
        {
            if (name != Library)
                return IntPtr.Zero;
            foreach (var candidate in new[] { "libzstd.so.1", "libzstd.so", "libzstd.1.dylib", "libzstd.dylib", "libzstd.dll", "zstd.dll" })
            {
                if (NativeLibrary.TryLoad(candidate, assembly, path, out var handle))
                    return handle;
            }
            throw new DllNotFoundException("libzstd is not installed: apt-get install libzstd1 (brew install zstd, vcpkg install zstd)");
        });
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct InBuffer
    {
        public IntPtr Src;
        public nuint Size;
        public nuint Pos;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OutBuffer
    {
        public IntPtr Dst;
        public nuint Size;
        public nuint Pos;
    }

    private const int CompressionLevel = 100;
    private const int EnableLongDistanceMatching = 160;
    private const int NbWorkers = 400;
    private const int EndDirective_Continue = 0;
    private const int EndDirective_End = 2;

    [LibraryImport(Library)] private static partial IntPtr ZSTD_createCCtx();
    [LibraryImport(Library)] private static partial nuint ZSTD_freeCCtx(IntPtr cctx);
    [LibraryImport(Library)] private static partial nuint ZSTD_CCtx_setParameter(IntPtr cctx, int param, int value);
    [LibraryImport(Library)] private static partial nuint ZSTD_compressStream2(IntPtr cctx, ref OutBuffer output, ref InBuffer input, int endOp);
    [LibraryImport(Library)] private static partial nuint ZSTD_CStreamOutSize();
    [LibraryImport(Library)] private static partial IntPtr ZSTD_createDStream();
    [LibraryImport(Library)] private static partial nuint ZSTD_freeDStream(IntPtr dstream);
    [LibraryImport(Library)] private static partial nuint ZSTD_initDStream(IntPtr dstream);
    [LibraryImport(Library)] private static partial nuint ZSTD_decompressStream(IntPtr dstream, ref OutBuffer output, ref InBuffer input);
    [LibraryImport(Library)] private static partial nuint ZSTD_DStreamOutSize();
    [LibraryImport(Library)] private static partial uint ZSTD_isError(nuint code);
    [LibraryImport(Library)] private static partial IntPtr ZSTD_getErrorName(nuint code);
    [LibraryImport(Library)] private static partial uint ZSTD_versionNumber();
    [LibraryImport(Library)] private static partial int ZSTD_maxCLevel();

    public static string Version
    {
        get
        {
            var v = ZSTD_versionNumber();
            return $"{v / 10000}.{v / 100 % 100}.{v % 100}";
        }
    }

    public static int MaxLevel => ZSTD_maxCLevel();

    private static nuint Check(nuint code, string what) =>
        ZSTD_isError(code) != 0 ? throw new InvalidDataException($"zstd {what}: {Marshal.PtrToStringAnsi(ZSTD_getErrorName(code))}") : code;

    /// <summary>Compresses <paramref name="input"/> to the end into <paramref name="output"/> as one zstd frame.</summary>
    public static unsafe void Compress(Stream input, Stream output, int level, int workers = 0)
    {
        var cctx = ZSTD_createCCtx();
        if (cctx == IntPtr.Zero)
            throw new OutOfMemoryException("ZSTD_createCCtx");
        try
        {
            Check(ZSTD_CCtx_setParameter(cctx, CompressionLevel, level), "level");
            // Long-distance matching finds repeats across a large binary's sections: a few % smaller at high levels.
            if (level >= 16)
                Check(ZSTD_CCtx_setParameter(cctx, EnableLongDistanceMatching, 1), "long distance matching");
            if (workers > 0)
                ZSTD_CCtx_setParameter(cctx, NbWorkers, workers); // a build without threads ignores it
            var inBuffer = new byte[1 << 20];
            var outBuffer = new byte[(int)ZSTD_CStreamOutSize()];
            fixed (byte* src = inBuffer)
            fixed (byte* dst = outBuffer)
            {
                int read;
                var done = false;
                while (!done)
                {
                    read = input.Read(inBuffer, 0, inBuffer.Length);
                    var last = read == 0;
                    var inb = new InBuffer { Src = (IntPtr)src, Size = (nuint)read, Pos = 0 };
                    while (true)
                    {
                        var outb = new OutBuffer { Dst = (IntPtr)dst, Size = (nuint)outBuffer.Length, Pos = 0 };
                        var remaining = Check(ZSTD_compressStream2(cctx, ref outb, ref inb, last ? EndDirective_End : EndDirective_Continue), "compress");
                        output.Write(outBuffer, 0, (int)outb.Pos);
                        if (last ? remaining == 0 : inb.Pos == inb.Size)
                            break;
                    }
                    done = last;
                }
            }
        }
        finally
        {
            ZSTD_freeCCtx(cctx);
        }
    }

    /// <summary>Decompresses exactly <paramref name="length"/> bytes of input; refuses output beyond <paramref name="maxOutput"/>.</summary>
    public static unsafe long Decompress(Stream input, long length, Stream output, long maxOutput)
    {
        var dctx = ZSTD_createDStream();
        if (dctx == IntPtr.Zero)
            throw new OutOfMemoryException("ZSTD_createDStream");
        try
        {
            ZSTD_initDStream(dctx);
            var inBuffer = new byte[1 << 17];
            var outBuffer = new byte[(int)ZSTD_DStreamOutSize()];
            long produced = 0;
            nuint pending = 1;
            fixed (byte* src = inBuffer)
            fixed (byte* dst = outBuffer)
            {
                while (length > 0)
                {
                    var read = input.Read(inBuffer, 0, (int)Math.Min(inBuffer.Length, length));
                    if (read == 0)
                        throw new InvalidDataException("payload truncated");
                    length -= read;
                    var inb = new InBuffer { Src = (IntPtr)src, Size = (nuint)read, Pos = 0 };
                    while (inb.Pos < inb.Size)
                    {
                        var outb = new OutBuffer { Dst = (IntPtr)dst, Size = (nuint)outBuffer.Length, Pos = 0 };
                        pending = Check(ZSTD_decompressStream(dctx, ref outb, ref inb), "decompress");
                        produced += (long)outb.Pos;
                        if (produced > maxOutput)
                            throw new InvalidDataException("payload decompresses to more bytes than the trailer promises");
                        output.Write(outBuffer, 0, (int)outb.Pos);
                    }
                }
            }
            if (pending != 0)
                throw new InvalidDataException("payload ends inside a zstd frame (truncated)");
            return produced;
        }
        finally
        {
            ZSTD_freeDStream(dctx);
        }
    }
}
