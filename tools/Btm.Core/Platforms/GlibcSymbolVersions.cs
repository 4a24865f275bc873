using System.Buffers.Binary;

namespace Btm.Core.Platforms;

/// <summary>
/// The GLIBC_x.y symbol versions a 64-bit ELF file needs (its version-needs table, .gnu.version_r,
/// matched to the dynamic symbols through .gnu.version), as `objdump -T` shows them: the oldest glibc
/// the file runs on is the highest of them.
/// </summary>
public static class GlibcSymbolVersions
{
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    /// <summary>A version the file needs, with one symbol that needs it (for the message).</summary>
    public sealed record Need(string Version, string Symbol)
    {
        public Version Number => System.Version.Parse(Version["GLIBC_".Length..]);
    }

    /// <summary>
    /// Each GLIBC_ version needed, with a symbol needing it, oldest first; empty for a static file, a
    /// non-ELF file, or a 32-bit one. Throws <see cref="InvalidDataException"/> naming the field when
    /// the tables point outside the file.
    /// </summary>
    public static IReadOnlyList<Need> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        return HeaderReader.Read(path, "ELF", () => Read(data));
    }

    private static IReadOnlyList<Need> Read(byte[] data)
    {
        if (ElfSections.Read(data) is not { Count: > 0 } sections)
            return [];
        var shnum = sections.Count;
        foreach (var s in sections.Where(s => s.Type is ShtDynsym or ShtGnuVerneed or ShtGnuVersym))
        {
            if (!ElfSections.Inside(data, s, shnum))
                throw new InvalidDataException($"sh_offset/sh_size: a dynamic-symbol section ({s.Size} bytes at {s.Offset}) lies past the end of the file ({data.Length} bytes)");
        }
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (verneed.Type == 0)
            return [];

        // Version index (vna_other) → name, from the entries whose library is libc, libm, libpthread…
        var names = new Dictionary<ushort, string>();
        var strings = sections[(int)verneed.Link];
        var at0 = (long)verneed.Offset;
        var end = at0 + (long)verneed.Size;
        var entry = at0;
        for (var n = 0; n < Math.Max(verneed.Info, 1) && entry + 16 <= end; n++)
        {
            var count = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)entry + 2));
            var aux = entry + BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)entry + 8));
            for (var k = 0; k < count; k++)
            {
                if (aux < at0 || aux + 16 > end)
                    throw new InvalidDataException($"vn_aux/vna_next: a version-needs entry points outside .gnu.version_r ({aux})");
                var other = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)aux + 6));
                names[other] = ElfSections.String(data, strings, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)aux + 8)), "vna_name");
                var next = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)aux + 12));
                if (next == 0)
                    break;
                aux += next;
            }
            var nextEntry = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)entry + 12));
            if (nextEntry == 0)
                break;
            entry += nextEntry;
        }

        var needs = new Dictionary<string, string>(StringComparer.Ordinal);
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        if (versym.Type != 0 && dynsym.Type != 0)
        {
            var symbols = (int)Math.Min(dynsym.Size / 24, versym.Size / 2);
            var symbolNames = sections[(int)dynsym.Link];
            for (var i = 1; i < symbols; i++)
            {
                var index = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)versym.Offset + 2 * i)) & 0x7fff);
                if (names.TryGetValue(index, out var version) && version.StartsWith("GLIBC_", StringComparison.Ordinal) && !needs.ContainsKey(version))
                    needs[version] = ElfSections.String(data, symbolNames, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)dynsym.Offset + 24 * i)), "st_name");
            }
        }
        foreach (var version in names.Values.Where(v => v.StartsWith("GLIBC_", StringComparison.Ordinal)))
            needs.TryAdd(version, "(no symbol: the library itself)");
        return needs.Where(n => System.Version.TryParse(n.Key["GLIBC_".Length..], out _))
            .Select(n => new Need(n.Key, n.Value)).OrderBy(n => n.Number).ToList();
    }
}
