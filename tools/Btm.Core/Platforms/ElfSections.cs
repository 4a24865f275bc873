using System.Buffers.Binary;
using System.Text;

namespace Btm.Core.Platforms;

/// <summary>
/// The section table of a 64-bit little-endian ELF file, bounds-checked, and its string tables:
/// what <see cref="GlibcSymbolVersions"/> and <see cref="ElfNeeded"/> read their tables through.
/// Errors are <see cref="InvalidDataException"/>s naming the ELF field.
/// </summary>
public static class ElfSections
{
    public readonly record struct Section(uint Type, ulong Offset, ulong Size, uint Link, uint Info);

    /// <summary>The sections; null for a file that is not a 64-bit little-endian ELF, empty when it has no section table.</summary>
    public static IReadOnlyList<Section>? Read(byte[] data)
    {
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F' || data[4] != 2 || data[5] != 1)
            return null;
        var shoff = Field64(data, 0x28, "e_shoff");
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3A));
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3C));
        if (shnum == 0)
            return [];
        if (shentsize < 64 || shoff + (ulong)shnum * shentsize > (ulong)data.Length)
            throw new InvalidDataException($"e_shoff/e_shnum: the section headers ({shnum} × {shentsize} at {shoff}) lie past the end of the file ({data.Length} bytes)");
        return Enumerable.Range(0, shnum).Select(i =>
        {
            var at = (int)shoff + i * shentsize;
            return new Section(BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 4)), Field64(data, at + 0x18, "sh_offset"), Field64(data, at + 0x20, "sh_size"),
                BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 0x28)), BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 0x2C)));
        }).ToList();
    }

    /// <summary>Whether the section's bytes, and its linked section's index, lie inside the file.</summary>
    public static bool Inside(byte[] data, Section section, int sectionCount) =>
        section.Offset + section.Size <= (ulong)data.Length && section.Link < sectionCount;

    /// <summary>The NUL-terminated name at <paramref name="offset"/> in a string table; <paramref name="field"/> names the referring field in the error.</summary>
    public static string String(byte[] data, Section table, ulong offset, string field)
    {
        if (offset >= table.Size || table.Offset + table.Size > (ulong)data.Length)
            throw new InvalidDataException($"{field}: a name at {offset} lies outside its string table ({table.Size} bytes)");
        var start = (int)(table.Offset + offset);
        var stop = Array.IndexOf(data, (byte)0, start, (int)(table.Size - offset));
        return Encoding.ASCII.GetString(data, start, (stop < 0 ? (int)(table.Offset + table.Size) : stop) - start);
    }

    private static ulong Field64(byte[] data, int at, string field) =>
        at + 8 <= data.Length ? BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)) : throw new InvalidDataException($"{field}: the file ends inside the header");
}
