using System.Buffers.Binary;
using System.Security.Cryptography;
using Btm.Core.IO;
using Btm.Core.Press;
using Btm.Core.Release;

namespace Btm.Core.Psp;

/// <summary>A slot to pack: its name, what it holds, and the folder whose tree it is.</summary>
public sealed record PspSlotSource(string Name, PspPurpose Purpose, string Folder);

/// <summary>A slot given as its tar file.</summary>
public sealed record PspTarSlot(string Name, PspPurpose Purpose, string Tar);

/// <summary>
/// Writes a PSP package (docs/psp-format.md): the launcher, the metadata, the slot table, each
/// slot as a zstd frame of its deterministic tar, and the signed index. The file appears whole or
/// not at all (temp path, then rename).
/// </summary>
public static class PspWriter
{
    public const int DefaultLevel = 19;

    public static void Write(string output, byte[] launcher, PspMetadata metadata, IReadOnlyList<PspSlotSource> sources, Ed25519Keys.KeyPair key, int level = DefaultLevel)
    {
        if (sources.Count is < 1 or > PspFormat.MaxSlots)
            throw new ArgumentException($"a package has 1-{PspFormat.MaxSlots} slots, not {sources.Count}");
        foreach (var source in sources)
        {
            if (!PspFormat.IsName(source.Name, 31))
                throw new PspException($"slot {source.Name}", "its name must be 1-31 characters of a-z, 0-9, '.', '_', '-'");
        }
        if (sources.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new PspException($"slot {twice.Key}", "the name is used twice");
        // The launcher links each slot into the work environment under the slot's name.
        if (!sources.Any(s => metadata.Entry.StartsWith(s.Name + "/", StringComparison.Ordinal)))
            throw new PspException("metadata", $"entry point '{metadata.Entry}' must start with a slot's name ({string.Join(", ", sources.Select(s => s.Name))}), then the path inside it");
        PspFormat.WriteMetadata(metadata); // refused before any slot is tarred
        var scratch = Directory.CreateTempSubdirectory("btm-psp-").FullName;
        try
        {
            var tars = new List<PspTarSlot>();
            foreach (var source in sources)
            {
                var tar = Path.Combine(scratch, source.Name + ".tar");
                using (var stream = File.Create(tar))
                    PspTar.Write(source.Folder, stream, source.Name);
                tars.Add(new PspTarSlot(source.Name, source.Purpose, tar));
            }
            WriteTars(output, launcher, metadata, tars, key, level);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// A package whose launcher is <paramref name="launcherFile"/> trusting <paramref name="key"/> and
    /// <paramref name="alsoTrusted"/>, written executable; returns the number of keys it trusts.
    /// </summary>
    public static int Pack(string output, string launcherFile, PspMetadata metadata, IReadOnlyList<PspSlotSource> sources, Ed25519Keys.KeyPair key,
        IEnumerable<byte[]> alsoTrusted, int level = DefaultLevel)
    {
        var trusted = PspLauncher.Trusting(key.PublicKey, alsoTrusted);
        Write(output, PspLauncher.WithKeys(File.ReadAllBytes(launcherFile), trusted, launcherFile), metadata, sources, key, level);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(output, (UnixFileMode)0x1ed);
        return trusted.Count;
    }

    /// <summary>
    /// A package from slot tars as given, unchecked: for tars made elsewhere, and for the tests'
    /// crafted hostile slots, which every reader must refuse.
    /// </summary>
    public static void WriteTars(string output, byte[] launcher, PspMetadata metadata, IReadOnlyList<PspTarSlot> sources, Ed25519Keys.KeyPair key, int level = DefaultLevel)
    {
        var meta = PspFormat.WriteMetadata(metadata);
        var scratch = Directory.CreateTempSubdirectory("btm-psp-").FullName;
        try
        {
            // Each slot compressed to its own file first: the table, which precedes them, needs their sizes and hashes.
            var slots = new List<PspSlot>();
            var files = new List<string>();
            long offset = launcher.Length + meta.Length + (long)sources.Count * PspFormat.SlotEntrySize;
            foreach (var source in sources)
            {
                var tar = source.Tar;
                var packed = Path.Combine(scratch, source.Name + ".tar.zst");
                using (var input = File.OpenRead(tar))
                using (var stream = File.Create(packed))
                    Zstd.Compress(input, stream, level);
                var size = new FileInfo(packed).Length;
                var raw = new FileInfo(tar).Length;
                if (raw > PspFormat.MaxSlotRawSize)
                    throw new PspException($"slot {source.Name}", $"its tar is {raw} bytes, more than 16 GiB");
                slots.Add(new PspSlot(source.Name, source.Purpose, offset, size, raw, Sha256.OfFile(packed), Sha256.OfFile(tar)));
                files.Add(packed);
                offset += size;
            }
            var table = PspFormat.WriteTable(slots);
            AtomicFile.Write(output, stream =>
            {
                using var signed = new IncrementalSigner(stream);
                signed.Write(launcher);
                using var body = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                signed.Write(meta);
                body.AppendData(meta);
                signed.Write(table);
                body.AppendData(table);
                var buffer = new byte[1 << 20];
                foreach (var file in files)
                {
                    using var input = File.OpenRead(file);
                    int read;
                    while ((read = input.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        signed.Write(buffer.AsSpan(0, read));
                        body.AppendData(buffer, 0, read);
                    }
                }
                var index = new byte[PspFormat.IndexSize];
                PspFormat.Magic.CopyTo(index);
                BinaryPrimitives.WriteUInt16LittleEndian(index.AsSpan(8), PspFormat.Version);
                BinaryPrimitives.WriteUInt16LittleEndian(index.AsSpan(10), (ushort)slots.Count);
                BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(16), launcher.Length);
                BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(24), meta.Length);
                BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(32), launcher.Length + meta.Length);
                BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(40), table.Length);
                SHA256.HashData(meta).CopyTo(index, 48);
                SHA256.HashData(table).CopyTo(index, 80);
                body.GetHashAndReset().CopyTo(index, 112);
                SHA256.HashData(key.PublicKey).CopyTo(index, 144);
                SHA256.HashData(launcher).CopyTo(index, 176);
                signed.Write(index.AsSpan(0, PspFormat.SignatureOffset));
                // Ed25519 (pure) signs the message itself, not a digest: the signer keeps every byte before the signature.
                var signature = Ed25519Keys.Sign(key.PrivateSeed, signed.Message());
                stream.Write(signature);
            });
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// Signs a package again with <paramref name="key"/>, its launcher trusting exactly
    /// <paramref name="trusted"/> (the key first): the launcher's key block, the launcher hash, the
    /// key id and the signature change; metadata, table, slots and the package checksum stay. The
    /// package must verify under <paramref name="current"/> first. Temp file, then rename.
    /// </summary>
    public static void Resign(string path, IReadOnlyList<byte[]> current, Ed25519Keys.KeyPair key, IReadOnlyList<byte[]> trusted)
    {
        var package = PspReader.Read(path, current);
        var bytes = File.ReadAllBytes(path);
        var launcher = PspLauncher.WithKeys(bytes[..(int)package.LauncherSize], trusted, path);
        launcher.CopyTo(bytes, 0);
        var index = bytes.Length - PspFormat.IndexSize;
        SHA256.HashData(key.PublicKey).CopyTo(bytes, index + 144);
        SHA256.HashData(launcher).CopyTo(bytes, index + 176);
        Ed25519Keys.Sign(key.PrivateSeed, bytes[..(bytes.Length - 64)]).CopyTo(bytes, bytes.Length - 64);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Writes through to the output and keeps the bytes for the signature (pure Ed25519 needs the whole message).</summary>
    private sealed class IncrementalSigner(Stream output) : IDisposable
    {
        private readonly MemoryStream _message = new();

        public void Write(ReadOnlySpan<byte> bytes)
        {
            output.Write(bytes);
            _message.Write(bytes);
        }

        public byte[] Message() => _message.ToArray();

        public void Dispose() => _message.Dispose();
    }
}
