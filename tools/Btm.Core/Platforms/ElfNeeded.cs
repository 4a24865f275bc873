using System.Buffers.Binary;

namespace Btm.Core.Platforms;

/// <summary>The libraries a 64-bit little-endian ELF file names in its dynamic section (DT_NEEDED), in order: what its loader must find.</summary>
public static class ElfNeeded
{
    private const uint ShtDynamic = 6;
    private const long DtNeeded = 1;

    /// <summary>Empty for a static file or one that is not a 64-bit little-endian ELF.</summary>
    public static IReadOnlyList<string> Read(string path)
    {
        var data = File.ReadAllBytes(path);
        return HeaderReader.Read(path, "ELF", () => Read(data));
    }

    private static IReadOnlyList<string> Read(byte[] data)
    {
        if (ElfSections.Read(data) is not { Count: > 0 } sections)
            return [];
        var dynamic = sections.FirstOrDefault(s => s.Type == ShtDynamic);
        if (dynamic.Type == 0)
            return [];
        if (!ElfSections.Inside(data, dynamic, sections.Count))
            throw new InvalidDataException($"sh_offset/sh_size: .dynamic ({dynamic.Size} bytes at {dynamic.Offset}) lies past the end of the file ({data.Length} bytes)");
        var strings = sections[(int)dynamic.Link];
        var needed = new List<string>();
        for (var at = dynamic.Offset; at + 16 <= dynamic.Offset + dynamic.Size; at += 16)
        {
            var tag = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan((int)at));
            if (tag == 0)
                break;
            if (tag != DtNeeded)
                continue;
            needed.Add(ElfSections.String(data, strings, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)at + 8)), "DT_NEEDED"));
        }
        return needed;
    }
}
