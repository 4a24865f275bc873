using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Btm.Core.IO;
using Btm.Core.Keys;

namespace Btm.Core.Checkpoints;

/// <summary>
/// The one reader and writer of a remote cache entry (spec: docs/remote-cache.md): a checkpoint's
/// metadata and its archive in one body, so a server that only stores bytes by hash can hold it.
/// <code>
/// "BTMRCE" 0x00 0x01 | u32 LE metadata length M | M bytes metadata JSON | archive (metadata's size)
/// </code>
/// </summary>
public static class RemoteEntry
{
    public static ReadOnlySpan<byte> Magic => "BTMRCE\0\u0001"u8;
    public const int HeaderSize = 12;

    /// <summary>Metadata larger than this is not one we wrote: refuse before allocating it.</summary>
    public const int MaxMetadata = 64 * 1024;

    /// <summary>
    /// The artifact hash a stage's checkpoint is stored under: every field that tells two
    /// checkpoints apart, and nothing that differs between clones (no paths).
    /// </summary>
    public static string HashFor(CheckpointMetadata meta) => HashFor(meta.Package, meta.Platform, meta.Mode, meta.Stage, meta.Key);

    public static string HashFor(string package, string platform, string mode, string stage, string key) =>
        new KeyDigest("btm-remote/1").Add("package", package).Add("platform", platform).Add("mode", mode)
            .Add("stage", stage).Add("key", key).Hex();

    /// <summary>Writes the header and metadata, then copies the archive.</summary>
    public static void Write(CheckpointMetadata meta, Stream archive, Stream output)
    {
        var metadata = CheckpointMetadataSerializer.Serialize(meta);
        Span<byte> header = stackalloc byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)metadata.Length);
        output.Write(header);
        output.Write(metadata);
        archive.CopyTo(output);
    }

    /// <summary>
    /// Reads an entry's header and metadata and checks they describe what was asked for; the
    /// stream is left at the first archive byte. Throws <see cref="InvalidDataException"/> saying what is wrong.
    /// </summary>
    public static CheckpointMetadata ReadHeader(Stream entry, long entryLength, string expectedHash)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (entryLength < HeaderSize || entry.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) != HeaderSize)
            throw new InvalidDataException($"{entryLength} bytes: too short for an entry header");
        if (!header[..8].SequenceEqual(Magic))
            throw new InvalidDataException("no BTMRCE magic: not a BTM cache entry (or another format version)");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (length is 0 or > MaxMetadata || length > entryLength - HeaderSize)
            throw new InvalidDataException($"metadata length {length} does not fit a {entryLength}-byte entry");
        var metadata = new byte[length];
        entry.ReadExactly(metadata);
        var meta = CheckpointMetadataSerializer.Deserialize(metadata);
        if (meta.Key != meta.Components.Key)
            throw new InvalidDataException("metadata key does not match its components");
        if (HashFor(meta) != expectedHash)
            throw new InvalidDataException($"describes {meta.Package} {meta.Stage} {meta.Platform} {meta.Mode} key {meta.Key[..12]}, which is stored under another hash");
        var archiveLength = entryLength - HeaderSize - length;
        if (archiveLength != meta.ArchiveSize)
            throw new InvalidDataException($"archive is {archiveLength} bytes, metadata says {meta.ArchiveSize} (truncated upload?)");
        return meta;
    }

    /// <summary>
    /// The <c>x-artifact-tag</c> of a signed artifact: base64 HMAC-SHA256 under the shared key over
    /// the body, then the hash, then the team, as Turborepo signs its own artifacts.
    /// </summary>
    public static string Tag(byte[] signatureKey, Stream body, string hash, string team)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, signatureKey);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = body.Read(buffer)) > 0)
            hmac.AppendData(buffer, 0, read);
        hmac.AppendData(Encoding.UTF8.GetBytes(hash));
        hmac.AppendData(Encoding.UTF8.GetBytes(team));
        return Convert.ToBase64String(hmac.GetHashAndReset());
    }

    /// <summary>Compares tags in constant time.</summary>
    public static bool TagMatches(string expected, string? actual) =>
        actual is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual.Trim()));
}
