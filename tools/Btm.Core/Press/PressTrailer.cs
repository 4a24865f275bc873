using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Btm.Core.Press;

/// <summary>
/// The fixed 128-byte trailer at the end of a compressed binary (docs/binpress-format.md). This
/// class is its one writer and the C# reader; packages/bin-stub/src/btm_format.c is the C reader,
/// and both are pinned by the golden vector packages/bin-stub/test/golden-trailer.bin.
/// </summary>
public sealed record PressTrailer(
    long PayloadOffset,
    long PayloadSize,
    long UncompressedSize,
    byte[] OriginalSha256,
    byte[] PayloadSha256,
    byte[] CacheKey,
    ushort Version = PressTrailer.FormatVersion,
    ushort Codec = PressTrailer.CodecZstd,
    uint Flags = 0)
{
    public const int Size = 128;
    public const ushort FormatVersion = 1;
    public const ushort CodecZstd = 1;
    public const long MaxUncompressed = 1L << 36;
    public static ReadOnlySpan<byte> Magic => "BTMPRESS"u8;

    /// <summary>The cache key for an original binary: the first 16 bytes of its SHA-256.</summary>
    public static byte[] KeyFor(byte[] originalSha256) => originalSha256[..16];

    public byte[] Serialize()
    {
        var b = new byte[Size];
        Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(8), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(10), Codec);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), Flags);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(16), PayloadOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(24), PayloadSize);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(32), UncompressedSize);
        OriginalSha256.CopyTo(b, 40);
        PayloadSha256.CopyTo(b, 72);
        CacheKey.CopyTo(b, 104);
        SHA256.HashData(b.AsSpan(0, 120))[..8].CopyTo(b.AsSpan(120));
        return b;
    }

    /// <summary>Parses and checks a trailer; throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static PressTrailer Parse(ReadOnlySpan<byte> b, long fileSize)
    {
        if (b.Length != Size || !b[..8].SequenceEqual(Magic))
            throw new NotPressedException("no BTMPRESS trailer at the end of the file");
        if (!SHA256.HashData(b[..120])[..8].AsSpan().SequenceEqual(b[120..]))
            throw new InvalidDataException("trailer check mismatch (damaged trailer)");
        var t = new PressTrailer(
            BinaryPrimitives.ReadInt64LittleEndian(b[16..]), BinaryPrimitives.ReadInt64LittleEndian(b[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(b[32..]), b[40..72].ToArray(), b[72..104].ToArray(), b[104..120].ToArray(),
            BinaryPrimitives.ReadUInt16LittleEndian(b[8..]), BinaryPrimitives.ReadUInt16LittleEndian(b[10..]), BinaryPrimitives.ReadUInt32LittleEndian(b[12..]));
        if (t.Version != FormatVersion)
            throw new InvalidDataException($"format version {t.Version}; this reader understands {FormatVersion}");
        if (t.Codec != CodecZstd)
            throw new InvalidDataException($"codec {t.Codec}; this reader understands zstd ({CodecZstd})");
        if (t.Flags != 0)
            throw new InvalidDataException("unknown trailer flags");
        if (fileSize < Size || t.PayloadOffset <= 0 || t.PayloadSize <= 0 || t.PayloadOffset > fileSize - Size
            || t.PayloadSize > fileSize - Size - t.PayloadOffset)
            throw new InvalidDataException("payload offset or size lies outside the file (truncated?)");
        if (t.UncompressedSize <= 0 || t.UncompressedSize > MaxUncompressed)
            throw new InvalidDataException("uncompressed size out of range");
        return t;
    }

    /// <summary>Whether the file ends with a BTMPRESS magic (as packed, when Authenticode signed it): a compressed binary, sound or not.</summary>
    public static bool HasMagic(string path)
    {
        using var file = File.OpenRead(path);
        var (trailer, _) = Locate(file);
        return trailer is not null && trailer.AsSpan(0, Magic.Length).SequenceEqual(Magic);
    }

    public static PressTrailer Read(Stream file)
    {
        var (trailer, end) = Locate(file);
        if (trailer is null)
            throw new NotPressedException("file too short for a trailer");
        return Parse(trailer, end);
    }

    /// <summary>
    /// The last 128 bytes of the file as packed, and where it ends: an Authenticode-signed program
    /// ends where its certificate table (and the zeros aligning it) starts (docs/binpress-format.md,
    /// "Authenticode").
    /// </summary>
    private static (byte[]? Trailer, long End) Locate(Stream file)
    {
        var head = new byte[(int)Math.Min(file.Length, Platforms.PeSignature.HeadSize)];
        file.Seek(0, SeekOrigin.Begin);
        file.ReadExactly(head);
        var end = file.Length;
        if (Platforms.PeSignature.CertificateTable(head, file.Length, Size) is { } table)
        {
            var before = new byte[(int)Math.Min(table, Size + 7)];
            file.Seek(table - before.Length, SeekOrigin.Begin);
            file.ReadExactly(before);
            end = Platforms.PeSignature.PackedEnd(before, table, Size, Magic);
        }
        if (end < Size)
            return (null, end);
        var b = new byte[Size];
        file.Seek(end - Size, SeekOrigin.Begin);
        file.ReadExactly(b);
        return (b, end);
    }
}

/// <summary>The file has no trailer: it is not a compressed binary at all.</summary>
public sealed class NotPressedException(string message) : IOException(message);
