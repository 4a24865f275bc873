using System.Buffers.Binary;
using System.Text;

namespace Btm.Core.Psp;

/// <summary>What a slot holds (docs/psp-format.md).</summary>
public enum PspPurpose : byte
{
    Runtime = 1,
    App = 2,
    Resources = 3,
    Native = 4,
}

/// <summary>A package's metadata: who it is and how its entry point runs.</summary>
public sealed record PspMetadata(string Name, string Version, string Platform, string Entry, IReadOnlyList<string> Args, IReadOnlyList<string> Environment);

/// <summary>One row of the slot table.</summary>
public sealed record PspSlot(string Name, PspPurpose Purpose, long Offset, long Size, long RawSize, byte[] Sha256, byte[] ContentSha256)
{
    public string ContentAddress => Convert.ToHexStringLower(ContentSha256);
}

/// <summary>A package that is not what the format says, naming the region (index, metadata, table, slot &lt;name&gt;, signature).</summary>
public sealed class PspException(string region, string problem) : BuildFailedException($"{region}: {problem}")
{
    public string Region { get; } = region;
}

/// <summary>The fixed parts of the format: index, slot table and metadata records, one writer and one reader each.</summary>
public static class PspFormat
{
    public const int IndexSize = 320;
    public const int SlotEntrySize = 128;
    public const int MaxSlots = 64;
    public const ushort Version = 1;
    public const long MaxSlotRawSize = 16L << 30;
    public const int SignatureOffset = 256;
    public static ReadOnlySpan<byte> Magic => "BTMPSP01"u8;

    private const byte NameTag = 1, VersionTag = 2, PlatformTag = 3, EntryTag = 4, ArgTag = 5, EnvTag = 6;

    /// <summary>
    /// For a PE (a win32 launcher): zeroes the fields Authenticode sets when it signs (the optional
    /// header's checksum and certificate-table entry), as the packer wrote them, and returns where
    /// the package ends: before the certificate table when one was appended, and the zeros that
    /// align it to 8. Any other file: its length, untouched. The C launcher does the same (psp.c).
    /// </summary>
    public static long NormalizePe(Span<byte> file)
    {
        if (Platforms.PeSignature.Fields(file) is not { } fields)
            return file.Length;
        long end = file.Length;
        if (Platforms.PeSignature.CertificateTable(file, file.Length, IndexSize) is { } table)
            end = Platforms.PeSignature.PackedEnd(file[..(int)table], table, IndexSize, Magic);
        file.Slice(fields.Checksum, 4).Clear();
        file.Slice(fields.Security, 8).Clear();
        return end;
    }

    public static bool IsName(string name, int max) =>
        name.Length >= 1 && name.Length <= max && name.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '.' or '_' or '-');

    /// <summary>A path inside a work environment: relative, '/'-separated, no '.', '..' or empty segment, no backslash or NUL.</summary>
    public static string? PathProblem(string path)
    {
        if (path.Length == 0)
            return "is empty";
        if (path[0] == '/' || (path.Length > 1 && path[1] == ':'))
            return $"'{path}' is absolute";
        if (path.Contains('\\') || path.Contains('\0'))
            return $"'{path}' has a backslash or NUL";
        if (path.TrimEnd('/').Split('/').Any(s => s is "" or "." or ".."))
            return $"'{path}' has an empty, '.' or '..' segment";
        return null;
    }

    public static byte[] WriteMetadata(PspMetadata m)
    {
        if (!IsName(m.Name, 64))
            throw new ArgumentException($"package name '{m.Name}' must be 1-64 characters of a-z, 0-9, '.', '_', '-'");
        if (PathProblem(m.Entry) is { } entry)
            throw new ArgumentException($"entry point {entry}");
        if (m.Args.Count > 64 || m.Environment.Count > 64)
            throw new ArgumentException("at most 64 arguments and 64 environment variables");
        foreach (var env in m.Environment.Where(e => e.IndexOf('=') <= 0))
            throw new ArgumentException($"environment variable '{env}' is not NAME=value");
        using var output = new MemoryStream();
        void Record(byte tag, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            output.WriteByte(tag);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
            output.Write(length);
            output.Write(bytes);
        }
        Record(NameTag, m.Name);
        Record(VersionTag, m.Version);
        Record(PlatformTag, m.Platform);
        Record(EntryTag, m.Entry);
        foreach (var arg in m.Args)
            Record(ArgTag, arg);
        foreach (var env in m.Environment)
            Record(EnvTag, env);
        return output.ToArray();
    }

    public static PspMetadata ReadMetadata(ReadOnlySpan<byte> bytes)
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var values = new Dictionary<byte, List<string>>();
        byte last = 0;
        var at = 0;
        while (at < bytes.Length)
        {
            if (bytes.Length - at < 5)
                throw new PspException("metadata", $"a record header at byte {at} runs past the metadata");
            var tag = bytes[at];
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(at + 1)..]);
            if (tag is < NameTag or > EnvTag)
                throw new PspException("metadata", $"unknown record tag {tag} at byte {at}");
            if (tag < last)
                throw new PspException("metadata", $"record tag {tag} at byte {at} comes after tag {last} (tags are in ascending order)");
            if (length > bytes.Length - at - 5)
                throw new PspException("metadata", $"record tag {tag} at byte {at} runs past the metadata ({length} bytes)");
            string value;
            try
            {
                value = strict.GetString(bytes.Slice(at + 5, (int)length));
            }
            catch (DecoderFallbackException)
            {
                throw new PspException("metadata", $"record tag {tag} at byte {at} is not UTF-8");
            }
            if (!values.TryGetValue(tag, out var list))
                values[tag] = list = [];
            list.Add(value);
            last = tag;
            at += 5 + (int)length;
        }
        string One(byte tag, string what)
        {
            if (!values.TryGetValue(tag, out var list) || list.Count != 1)
                throw new PspException("metadata", $"needs exactly one {what} record (tag {tag}), found {values.GetValueOrDefault(tag)?.Count ?? 0}");
            return list[0];
        }
        var name = One(NameTag, "name");
        if (!IsName(name, 64))
            throw new PspException("metadata", $"package name '{name}' is not 1-64 characters of a-z, 0-9, '.', '_', '-'");
        var version = One(VersionTag, "version");
        var platform = One(PlatformTag, "platform");
        var entry = One(EntryTag, "entry point");
        if (PathProblem(entry) is { } problem)
            throw new PspException("metadata", $"entry point {problem}");
        var args = values.GetValueOrDefault(ArgTag) ?? [];
        var env = values.GetValueOrDefault(EnvTag) ?? [];
        if (args.Count > 64 || env.Count > 64)
            throw new PspException("metadata", "more than 64 arguments or environment variables");
        if (env.FirstOrDefault(e => e.IndexOf('=') <= 0) is { } bad)
            throw new PspException("metadata", $"environment variable '{bad}' is not NAME=value");
        return new PspMetadata(name, version, platform, entry, args, env);
    }

    public static byte[] WriteTable(IReadOnlyList<PspSlot> slots)
    {
        var table = new byte[slots.Count * SlotEntrySize];
        for (var i = 0; i < slots.Count; i++)
        {
            var s = slots[i];
            var row = table.AsSpan(i * SlotEntrySize, SlotEntrySize);
            Encoding.ASCII.GetBytes(s.Name).CopyTo(row);
            row[32] = (byte)s.Purpose;
            row[33] = 1;
            row[34] = 1;
            BinaryPrimitives.WriteInt64LittleEndian(row[40..], s.Offset);
            BinaryPrimitives.WriteInt64LittleEndian(row[48..], s.Size);
            BinaryPrimitives.WriteInt64LittleEndian(row[56..], s.RawSize);
            s.Sha256.CopyTo(row[64..]);
            s.ContentSha256.CopyTo(row[96..]);
        }
        return table;
    }

    public static List<PspSlot> ReadTable(ReadOnlySpan<byte> table, int count)
    {
        var slots = new List<PspSlot>();
        for (var i = 0; i < count; i++)
        {
            var row = table.Slice(i * SlotEntrySize, SlotEntrySize);
            var nameBytes = row[..32];
            var end = nameBytes.IndexOf((byte)0);
            if (end < 0 || nameBytes[end..].ContainsAnyExcept((byte)0))
                throw new PspException("table", $"slot {i}: its name is not NUL-padded within 32 bytes");
            var name = Encoding.ASCII.GetString(nameBytes[..end]);
            if (!IsName(name, 31))
                throw new PspException("table", $"slot {i}: name '{name}' is not 1-31 characters of a-z, 0-9, '.', '_', '-'");
            if (slots.Any(s => s.Name == name))
                throw new PspException("table", $"slot {i}: name '{name}' is used twice");
            if (row[32] is < 1 or > 4)
                throw new PspException("table", $"slot {name}: unknown purpose {row[32]}");
            if (row[33] != 1)
                throw new PspException("table", $"slot {name}: unknown compression {row[33]}");
            if (row[34] != 1)
                throw new PspException("table", $"slot {name}: unknown extraction policy {row[34]}");
            if (row[35..40].ContainsAnyExcept((byte)0))
                throw new PspException("table", $"slot {name}: reserved bytes are not zero");
            var raw = BinaryPrimitives.ReadInt64LittleEndian(row[56..]);
            if (raw is < 0 or > MaxSlotRawSize)
                throw new PspException("table", $"slot {name}: uncompressed size {raw} is outside 0-16 GiB");
            slots.Add(new PspSlot(name, (PspPurpose)row[32], BinaryPrimitives.ReadInt64LittleEndian(row[40..]), BinaryPrimitives.ReadInt64LittleEndian(row[48..]),
                raw, row.Slice(64, 32).ToArray(), row.Slice(96, 32).ToArray()));
        }
        return slots;
    }
}
