using System.Buffers.Binary;
using System.Text;

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
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F' || data[4] != 2 || data[5] != 1)
            return [];
        var shoff = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(0x28));
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3A));
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3C));
        if (shnum == 0)
            return [];
        if (shentsize < 64 || shoff + (ulong)shnum * shentsize > (ulong)data.Length)
            throw new InvalidDataException($"e_shoff/e_shnum: the section headers ({shnum} × {shentsize} at {shoff}) lie past the end of the file ({data.Length} bytes)");
        (uint Type, ulong Offset, ulong Size, uint Link) Section(int i)
        {
            var at = (int)shoff + i * shentsize;
            return (BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 4)), BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at + 0x18)),
                BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at + 0x20)), BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at + 0x28)));
        }
        var dynamic = Enumerable.Range(0, shnum).Select(Section).FirstOrDefault(s => s.Type == ShtDynamic);
        if (dynamic.Type == 0)
            return [];
        if (dynamic.Link >= shnum || dynamic.Offset + dynamic.Size > (ulong)data.Length)
            throw new InvalidDataException($"sh_offset/sh_size: .dynamic ({dynamic.Size} bytes at {dynamic.Offset}) lies past the end of the file ({data.Length} bytes)");
        var strings = Section((int)dynamic.Link);
        if (strings.Offset + strings.Size > (ulong)data.Length)
            throw new InvalidDataException($"sh_offset/sh_size: .dynstr ({strings.Size} bytes at {strings.Offset}) lies past the end of the file ({data.Length} bytes)");
        var needed = new List<string>();
        for (var at = dynamic.Offset; at + 16 <= dynamic.Offset + dynamic.Size; at += 16)
        {
            var tag = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan((int)at));
            if (tag == 0)
                break;
            if (tag != DtNeeded)
                continue;
            var offset = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan((int)at + 8));
            if (offset >= strings.Size)
                throw new InvalidDataException($"DT_NEEDED: a name at {offset} lies outside .dynstr ({strings.Size} bytes)");
            var start = (int)(strings.Offset + offset);
            var stop = Array.IndexOf(data, (byte)0, start, (int)(strings.Size - offset));
            needed.Add(Encoding.ASCII.GetString(data, start, (stop < 0 ? (int)(strings.Offset + strings.Size) : stop) - start));
        }
        return needed;
    }
}
