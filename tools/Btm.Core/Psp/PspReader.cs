using System.Buffers.Binary;
using System.Security.Cryptography;
using Btm.Core.IO;
using Btm.Core.Press;
using Btm.Core.Release;

namespace Btm.Core.Psp;

/// <summary>A package read and checked: its regions, metadata and slots.</summary>
public sealed record PspPackage(string Path, long LauncherSize, PspMetadata Metadata, IReadOnlyList<PspSlot> Slots, byte[] PackageChecksum, byte[] KeyId, byte[] Signature)
{
    public string Checksum => Convert.ToHexStringLower(PackageChecksum);
}

/// <summary>
/// Reads a PSP package (docs/psp-format.md): the index, then every region in order, each hash,
/// and the signature against the keys the caller trusts, never a key found in the file.
/// </summary>
public static class PspReader
{
    public static PspPackage Read(string path, IReadOnlyList<byte[]> trustedKeys)
    {
        var file = File.ReadAllBytes(path);
        // An Authenticode-signed win32 package is read as packed: the signature's fields zeroed, its table left off.
        var bytes = file.AsSpan(0, (int)PspFormat.NormalizePe(file));
        if (bytes.Length < PspFormat.IndexSize)
            throw new PspException("index", "not a PSP package, or truncated: shorter than its index");
        var index = bytes[^PspFormat.IndexSize..];
        if (!index[..8].SequenceEqual(PspFormat.Magic))
            throw new PspException("index", "not a PSP package, or truncated: no BTMPSP01 at the start of the last 256 bytes");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(index[8..]);
        if (version != PspFormat.Version)
            throw new PspException("index", $"format version {version} is not one this reader knows (1)");
        var count = BinaryPrimitives.ReadUInt16LittleEndian(index[10..]);
        if (count is < 1 or > PspFormat.MaxSlots)
            throw new PspException("index", $"slot count {count} is outside 1-{PspFormat.MaxSlots}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(index[12..]) != 0 || index[208..256].ContainsAnyExcept((byte)0))
            throw new PspException("index", "flags or reserved bytes are not zero");
        var launcher = BinaryPrimitives.ReadInt64LittleEndian(index[16..]);
        var metaSize = BinaryPrimitives.ReadInt64LittleEndian(index[24..]);
        var tableOffset = BinaryPrimitives.ReadInt64LittleEndian(index[32..]);
        var tableSize = BinaryPrimitives.ReadInt64LittleEndian(index[40..]);
        long end = bytes.Length - PspFormat.IndexSize;
        if (launcher < 0 || metaSize < 0 || launcher > end || metaSize > end - launcher || tableOffset != launcher + metaSize
            || tableSize != (long)count * PspFormat.SlotEntrySize || tableSize > end - tableOffset)
            throw new PspException("index", "its launcher, metadata and table sizes do not lay the regions out one after another inside the file");

        if (!SHA256.HashData(bytes.Slice(0, (int)launcher)).AsSpan().SequenceEqual(index[176..208]))
            throw new PspException("launcher", "its SHA-256 differs from the index's");
        var meta = bytes.Slice((int)launcher, (int)metaSize);
        if (!SHA256.HashData(meta).AsSpan().SequenceEqual(index[48..80]))
            throw new PspException("metadata", "its SHA-256 differs from the index's");
        var table = bytes.Slice((int)tableOffset, (int)tableSize);
        if (!SHA256.HashData(table).AsSpan().SequenceEqual(index[80..112]))
            throw new PspException("table", "its SHA-256 differs from the index's");
        var metadata = PspFormat.ReadMetadata(meta);
        var slots = PspFormat.ReadTable(table, count);
        var at = tableOffset + tableSize;
        foreach (var slot in slots)
        {
            if (slot.Offset != at || slot.Size < 0 || slot.Size > end - at)
                throw new PspException($"slot {slot.Name}", $"does not start where the previous region ends ({at}) or runs past the index");
            if (!SHA256.HashData(bytes.Slice((int)slot.Offset, (int)slot.Size)).AsSpan().SequenceEqual(slot.Sha256))
                throw new PspException($"slot {slot.Name}", "its SHA-256 differs from the table's");
            at += slot.Size;
        }
        if (at != end)
            throw new PspException("index", $"{end - at} byte(s) lie between the last slot and the index");
        if (!SHA256.HashData(bytes.Slice((int)launcher, (int)(end - launcher))).AsSpan().SequenceEqual(index[112..144]))
            throw new PspException("index", "the package checksum differs from the bytes it covers");
        // Last, so a changed byte is named by its region's hash; nothing read is acted on before it holds:
        // every byte before it, under a key the caller trusts.
        var keyId = index[144..176].ToArray();
        var signature = index[PspFormat.SignatureOffset..].ToArray();
        var key = trustedKeys.FirstOrDefault(k => SHA256.HashData(k).AsSpan().SequenceEqual(keyId));
        if (key is null)
            throw new PspException("signature", trustedKeys.Count == 0
                ? "no trusted key was given: pass the public key the package was signed with"
                : $"signed by key {Convert.ToHexStringLower(keyId)[..16]}…, which is none of the {trustedKeys.Count} trusted key(s)");
        if (!Ed25519Keys.Verify(key, bytes[..^64].ToArray(), signature))
            throw new PspException("signature", "does not verify: a byte of the launcher, metadata, table, slots or index changed since it was signed");

        return new PspPackage(path, launcher, metadata, slots, index[112..144].ToArray(), keyId, signature);
    }

    /// <summary>Decompresses one slot, checks its tar against the table's content hash and the tar rules, and writes it under <paramref name="into"/>.</summary>
    public static void Extract(PspPackage package, PspSlot slot, string into)
    {
        var tar = Path.Combine(Path.GetTempPath(), $"btm-psp-{Guid.NewGuid():N}.tar");
        try
        {
            using (var file = File.OpenRead(package.Path))
            using (var output = File.Create(tar))
            {
                file.Position = slot.Offset;
                var produced = Zstd.Decompress(file, slot.Size, output, slot.RawSize);
                if (produced != slot.RawSize)
                    throw new PspException($"slot {slot.Name}", $"decompresses to {produced} bytes, the table says {slot.RawSize}");
            }
            if (!Sha256.OfFile(tar).AsSpan().SequenceEqual(slot.ContentSha256))
                throw new PspException($"slot {slot.Name}", "its tar's SHA-256 differs from the table's content address");
            Directory.CreateDirectory(into);
            using var input = File.OpenRead(tar);
            try
            {
                PspTar.Read(input, slot.Name, (entry, body) =>
                {
                    var target = PathGuard.ResolveNoLinks(into, entry.Path);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
                        body.CopyTo(output);
                    if (!OperatingSystem.IsWindows())
                        File.SetUnixFileMode(target, entry.Executable ? (UnixFileMode)0x1ed : (UnixFileMode)0x1a4);
                });
            }
            catch (EndOfStreamException)
            {
                throw new PspException($"slot {slot.Name}", "its tar is cut short (truncated)");
            }
            catch (InvalidDataException e)
            {
                throw new PspException($"slot {slot.Name}", e.Message);
            }
        }
        finally
        {
            File.Delete(tar);
        }
    }
}
